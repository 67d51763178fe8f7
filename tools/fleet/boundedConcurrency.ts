/**
 * Runs `work` for every item with at most `limit` running at once, and returns the results in the items' order.
 * `onSettled` hears how many have finished, for the progress line. A rejection stops the run and is passed on.
 */
export async function mapWithConcurrency<T, R>(
    items: readonly T[],
    limit: number,
    work: (item: T) => Promise<R>,
    onSettled: (finished: number) => void = () => undefined,
): Promise<R[]> {
    const results = new Array<R>(items.length);
    let next = 0;
    let finished = 0;
    const worker = async (): Promise<void> => {
        while (next < items.length) {
            const index = next++;
            results[index] = await work(items[index]);
            onSettled(++finished);
        }
    };
    await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
    return results;
}
