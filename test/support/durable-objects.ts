/** Right after destroy() the old instance is still aborting ("destroyed"); the next request reaches a fresh one. */
export async function retryWhileDestroying<T>(call: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await call();
    } catch (error) {
      if (attempt >= 5 || !String(error).includes("destroyed")) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}
