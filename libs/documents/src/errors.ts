/** A request body that is not the document it should be (not XML, wrong root, schema violation): 400. */
export class DocumentError extends Error {
  readonly status = 400;
  constructor(
    readonly code: 'DOC_ERR_XML' | 'DOC_ERR_UNSAFE' | 'DOC_ERR_ROOT' | 'DOC_ERR_SCHEMA',
    message: string,
  ) {
    super(message);
    this.name = 'DocumentError';
  }
}

export type DocResult<T> = { ok: true; value: T } | { ok: false; error: DocumentError };
export const docOk = <T>(value: T): DocResult<T> => ({ ok: true, value });
export const schemaError = (message: string): DocResult<never> => ({ ok: false, error: new DocumentError('DOC_ERR_SCHEMA', message) });
