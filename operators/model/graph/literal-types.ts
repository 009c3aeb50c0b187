/** Why a literal (no ${...} in it) is not a value of the declared type, or undefined when it is. */
export function literalTypeProblem(value: string, type: string | undefined): string | undefined {
  if (value.includes('${')) return undefined; // substituted at run time
  switch (type) {
    case 'number':
      return value.trim() !== '' && Number.isFinite(Number(value)) ? undefined : `${JSON.stringify(value)} is not a number`;
    case 'boolean':
      return value === 'true' || value === 'false' ? undefined : `${JSON.stringify(value)} is not a boolean (true or false)`;
    case 'json':
      try {
        JSON.parse(value);
        return undefined;
      } catch {
        return `${JSON.stringify(value)} is not valid JSON`;
      }
    default:
      return undefined;
  }
}
