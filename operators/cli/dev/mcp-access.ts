/**
 * Pure: the lines that tell a person how to connect an MCP client to the MCP server `agentlab dev`
 * started. Its bearer token is the dev admin's token from the kubeconfig (every MCP call runs as
 * the token's owner); the token is not printed, kubectl reads it, as for the router token.
 */
export function mcpIntro(mcpUrl: string, kubeconfigPath: string): string[] {
  return [
    'Talk to it from Claude Code or any MCP client (streamable HTTP; the bearer token is the dev admin\'s, from the kubeconfig):',
    `  export AGENTLAB_MCP_URL=${mcpUrl}`,
    `  export AGENTLAB_MCP_TOKEN=$(kubectl --kubeconfig ${kubeconfigPath} config view --raw --minify -o jsonpath='{.users[0].user.token}')`,
    '  claude mcp add --transport http agentlab "$AGENTLAB_MCP_URL" --header "Authorization: Bearer $AGENTLAB_MCP_TOKEN"',
  ];
}
