/** k8s.io/apimachinery/pkg/apis/meta/v1 messages (generated.proto). */
import { KEEP, MAP, REP, message } from './descriptor.js';

const META = 'k8s.io.apimachinery.pkg.apis.meta.v1';

export const OwnerReference = message(`${META}.OwnerReference`, {
  1: ['kind', 'string'], 3: ['name', 'string'], 4: ['uid', 'string'], 5: ['apiVersion', 'string'],
  6: ['controller', 'bool', KEEP], 7: ['blockOwnerDeletion', 'bool', KEEP],
});

export const ManagedFieldsEntry = message(`${META}.ManagedFieldsEntry`, {
  1: ['manager', 'string'], 2: ['operation', 'string'], 3: ['apiVersion', 'string'], 4: ['time', 'time'],
  6: ['fieldsType', 'string'], 7: ['fieldsV1', 'rawjson'], 8: ['subresource', 'string'],
});

export const ObjectMeta = message(`${META}.ObjectMeta`, {
  1: ['name', 'string'], 2: ['generateName', 'string'], 3: ['namespace', 'string'], 4: ['selfLink', 'string'],
  5: ['uid', 'string'], 6: ['resourceVersion', 'string'], 7: ['generation', 'int64'],
  8: ['creationTimestamp', 'time'], 9: ['deletionTimestamp', 'time'], 10: ['deletionGracePeriodSeconds', 'int64', KEEP],
  11: ['labels', 'string', MAP], 12: ['annotations', 'string', MAP], 13: ['ownerReferences', OwnerReference, REP],
  14: ['finalizers', 'string', REP], 17: ['managedFields', ManagedFieldsEntry, REP],
});

export const ListMeta = message(`${META}.ListMeta`, {
  1: ['selfLink', 'string'], 2: ['resourceVersion', 'string'], 3: ['continue', 'string'], 4: ['remainingItemCount', 'int64', KEEP],
});

export const LabelSelectorRequirement = message(`${META}.LabelSelectorRequirement`, {
  1: ['key', 'string'], 2: ['operator', 'string'], 3: ['values', 'string', REP],
});

export const LabelSelector = message(`${META}.LabelSelector`, {
  1: ['matchLabels', 'string', MAP], 2: ['matchExpressions', LabelSelectorRequirement, REP],
});

export const Condition = message(`${META}.Condition`, {
  1: ['type', 'string'], 2: ['status', 'string'], 3: ['observedGeneration', 'int64'], 4: ['lastTransitionTime', 'time'],
  5: ['reason', 'string'], 6: ['message', 'string'],
});

export const Preconditions = message(`${META}.Preconditions`, {
  1: ['uid', 'string', KEEP], 2: ['resourceVersion', 'string', KEEP],
});

export const DeleteOptions = message(`${META}.DeleteOptions`, {
  1: ['gracePeriodSeconds', 'int64', KEEP], 2: ['preconditions', Preconditions], 3: ['orphanDependents', 'bool', KEEP],
  4: ['propagationPolicy', 'string', KEEP], 5: ['dryRun', 'string', REP],
  6: ['ignoreStoreReadErrorWithClusterBreakingPotential', 'bool', KEEP],
});
