/** A backend client that can check its credentials at startup and be closed. */
export interface CredentialsCheckable {
  credentialsChecked(): Promise<void>;
  close(): unknown;
}

/**
 * `resource` once its startup check passed; when the check fails (a refused password is
 * BackendAuthError), `resource` is closed first — so that no reconnect loop or timer of a client
 * that will never be used outlives the failed startup — and the check's error is thrown.
 */
export async function credentialsCheckedOrClosed<T extends CredentialsCheckable>(resource: T): Promise<T> {
  try {
    await resource.credentialsChecked();
    return resource;
  } catch (error) {
    await resource.close();
    throw error;
  }
}
