/** What `call` threw or rejected with (`undefined` when it did neither), for tests that check a synchronous throw and a rejection alike. */
export async function rejectionOf(call: () => unknown): Promise<unknown> {
  try {
    await call();
  } catch (thrown) {
    return thrown;
  }
  return undefined;
}
