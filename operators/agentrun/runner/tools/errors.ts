/** Why a tool call was refused or failed; the registry turns it into a result the model reads. */
export type ToolErrorCode =
  | 'InvalidArguments' // the arguments do not match the tool's parameters
  | 'UnknownTool' // no tool of that name is enabled for this run
  | 'Forbidden' // the run's allow-list refuses it (path, command, host, method, readOnly)
  | 'TooLarge' // over maxFileBytes
  | 'NotFound'
  | 'Failed'; // the operation was allowed but did not succeed (I/O error, network error)

export class ToolError extends Error {
  constructor(readonly code: ToolErrorCode, message: string) {
    super(message);
    this.name = 'ToolError';
  }
}
