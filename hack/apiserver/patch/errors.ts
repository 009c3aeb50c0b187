/**
 * The one error type of the patch module. It carries what the API server needs to answer with a
 * metav1.Status exactly as kube-apiserver does for the same failure.
 */
export type PatchErrorCode = 400 | 409 | 413 | 422 | 500;

/** metav1.StatusCause as serialised: its Type is the JSON key "reason". */
export interface StatusCause {
  reason?: string;
  message: string;
  field?: string;
}

const REASONS: Record<PatchErrorCode, string> = {
  400: 'BadRequest',
  409: 'Conflict',
  413: 'RequestEntityTooLarge',
  422: 'Invalid',
  // kube-apiserver answers errors that are not API errors with an empty reason (StatusReasonUnknown).
  500: '',
};

export interface PatchStatus {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure';
  message: string;
  reason?: string;
  details?: { causes?: StatusCause[] };
  code: number;
}

export class PatchError extends Error {
  override readonly name = 'PatchError';
  readonly reason: string;

  constructor(
    readonly code: PatchErrorCode,
    message: string,
    readonly causes: StatusCause[] = [],
    /** What went wrong when the Status message is generic; for logs, never sent. */
    readonly detail?: string,
  ) {
    super(message);
    this.reason = REASONS[code];
  }

  /** The metav1.Status body kube-apiserver sends for this error. */
  toStatus(): PatchStatus {
    const status: PatchStatus = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      code: this.code,
    };
    if (this.reason) status.reason = this.reason;
    if (this.code !== 500) status.details = this.causes.length ? { causes: this.causes } : {};
    return status;
  }
}

/** 400, as apierrors.NewBadRequest. */
export function badRequest(message: string): PatchError {
  return new PatchError(400, message);
}

/**
 * 422 with the generic message: kube-apiserver wraps JSON patch application failures (and a few
 * strategic merge patch failures) in NewGenericServerResponse(422, ...), which drops the detail.
 * The detail is kept on `detail` for logs.
 */
export function genericInvalid(detail: string): PatchError {
  return new PatchError(422, 'the server rejected our request due to an error in our request', [], detail);
}

/** 500 with the error text, as kube-apiserver answers a plain Go error from the patch code. */
export function internalError(message: string): PatchError {
  return new PatchError(500, message);
}
