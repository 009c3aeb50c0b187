{{- define "agentlab.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "agentlab.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 50 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 50 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 50 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- /* Labels of objects that carry no selector labels; workloads add theirs to agentlab.baseLabels. */}}
{{- define "agentlab.labels" -}}
{{ include "agentlab.baseLabels" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "agentlab.baseLabels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/part-of: agentlab
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- /* The router's pod labels: LanePolicy NetworkPolicies select the router by these (the operator's --router-pod-labels). */}}
{{- define "agentlab.router.selectorLabels" -}}
app.kubernetes.io/name: agentlab-router
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "agentlab.operator.selectorLabels" -}}
app.kubernetes.io/name: agentlab-operator
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "agentlab.operator.serviceAccountName" -}}
{{- if .Values.operator.serviceAccount.create }}
{{- default (printf "%s-operator" (include "agentlab.fullname" .)) .Values.operator.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.operator.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "agentlab.router.serviceAccountName" -}}
{{- if .Values.router.serviceAccount.create }}
{{- default (printf "%s-router" (include "agentlab.fullname" .)) .Values.router.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.router.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "agentlab.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{- /* The agent runner image AgentRun pods get when their spec.runtime.image is empty. */}}
{{- define "agentlab.runnerImage" -}}
{{- if .Values.runner.image.digest }}
{{- printf "%s@%s" .Values.runner.image.repository .Values.runner.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.runner.image.repository (default .Chart.AppVersion .Values.runner.image.tag) }}
{{- end }}
{{- end }}

{{- define "agentlab.stepRunnerImage" -}}
{{- if .Values.stepRunner.image.digest }}
{{- printf "%s@%s" .Values.stepRunner.image.repository .Values.stepRunner.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.stepRunner.image.repository (default .Chart.AppVersion .Values.stepRunner.image.tag) }}
{{- end }}
{{- end }}

{{- /* Restricted Pod Security Standard: https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted */}}
{{- define "agentlab.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
fsGroup: 65532
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{- define "agentlab.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop: ["ALL"]
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{- /* Controllers the operator runs: the `controller` label of its metrics, for alert selectors. */}}
{{- define "agentlab.controllerRegex" -}}
modelserver|lanepolicy|agentrun|flow|hardwaretask
{{- end }}

{{- define "agentlab.mcp.selectorLabels" -}}
app.kubernetes.io/name: agentlab-mcp
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- /* Host/Origin names the MCP server accepts: loopback (kubectl port-forward), the Service's names, then mcp.allowedHosts. */}}
{{- define "agentlab.mcp.allowedHosts" -}}
{{- $svc := printf "%s-mcp" (include "agentlab.fullname" .) }}
{{- $ns := .Release.Namespace }}
{{- $hosts := list "localhost" "127.0.0.1" "[::1]" $svc (printf "%s.%s" $svc $ns) (printf "%s.%s.svc" $svc $ns) (printf "%s.%s.svc.cluster.local" $svc $ns) }}
{{- join "," (concat $hosts .Values.mcp.allowedHosts | uniq) }}
{{- end }}
