/**
 * kube-apiserver's --token-auth-file: a CSV with `token,user,uid,"group1,group2"` per line (groups
 * optional), as k8s.io/apiserver/plugin/pkg/authenticator/token/tokenfile reads it.
 */
import { AUTHENTICATED_GROUP, type UserInfo } from './user.js';

export class TokenFileError extends Error {}

/** Splits one CSV record (RFC 4180 quoting, as Go's encoding/csv). */
function csvFields(line: string): string[] | undefined {
  const out: string[] = [];
  let i = 0;
  while (i <= line.length) {
    if (line[i] === '"') {
      let v = '';
      i++;
      for (;;) {
        if (i >= line.length) return undefined;
        if (line[i] === '"') {
          if (line[i + 1] === '"') { v += '"'; i += 2; continue; }
          i++;
          break;
        }
        v += line[i++];
      }
      if (i < line.length && line[i] !== ',') return undefined;
      out.push(v);
      i++;
    } else {
      const end = line.indexOf(',', i);
      const stop = end < 0 ? line.length : end;
      out.push(line.slice(i, stop));
      i = stop + 1;
    }
  }
  return out;
}

/**
 * Parses the file into token -> user. Like kube-apiserver it refuses a line with fewer than three
 * fields (naming the line) and skips empty lines; of duplicate tokens the later line wins, as there.
 */
export function parseTokenFile(text: string, file = 'token file'): Map<string, UserInfo> {
  const out = new Map<string, UserInfo>();
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    if (raw.trim() === '') return;
    const fields = csvFields(raw);
    if (!fields) throw new TokenFileError(`${file}:${i + 1}: malformed CSV (an unterminated or misplaced quote)`);
    if (fields.length < 3) {
      throw new TokenFileError(`${file}:${i + 1}: token file is expected to have at least 3 fields (token,user,uid[,"group1,group2"]), found ${fields.length}`);
    }
    const [token, username, uid, groups] = fields as [string, string, string, string | undefined];
    if (token === '') throw new TokenFileError(`${file}:${i + 1}: the token (first field) is empty`);
    const user: UserInfo = { username, uid, groups: [] };
    if (groups) user.groups = groups.split(',').map((g) => g.trim()).filter((g) => g !== '');
    out.set(token, user);
  });
  return out;
}

/** What the bearer token authenticator hands on: the user plus system:authenticated, as the union authenticator adds it. */
export function withAuthenticatedGroup(user: UserInfo): UserInfo {
  return user.groups.includes(AUTHENTICATED_GROUP) ? user : { ...user, groups: [...user.groups, AUTHENTICATED_GROUP] };
}
