// Hidden markers (HTML comments, invisible on the forge's page) that let the workflow find what it
// wrote before: the issue it opened for a resource, its one status comment, each milestone comment.
// They carry the resource's uid, so a restart, a retry or a replayed watch finds them again.

/** Marker keys keep to a safe alphabet: anything else (spaces, "--", ">") becomes "_". */
const safe = (s: string): string => s.replace(/[^A-Za-z0-9._:/@+=-]/g, '_').replace(/--+/g, '_');

export const issueMarker = (uid: string): string => `<!-- agentlab:issue ${safe(uid)} -->`;
export const statusMarker = (uid: string): string => `<!-- agentlab:status ${safe(uid)} -->`;
export const milestoneMarker = (uid: string, key: string): string => `<!-- agentlab:milestone ${safe(uid)} ${safe(key)} -->`;

/** True when a line of the body is exactly the marker (a quoted copy, "> <!-- … -->", does not count). */
export function hasMarker(body: string, marker: string): boolean {
  return body.split(/\r?\n/).some((line) => line.trim() === marker);
}
