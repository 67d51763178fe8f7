/** A one-line "read n/total stacks" counter for stderr, rewritten in place; only used when stderr is a TTY. */
export interface ProgressLine {
    update(finished: number): void;
    /** Erases the line so the report starts on a clean screen. */
    clear(): void;
}

/** Writes nothing unless `enabled`: piped stderr (CI logs) gets no carriage-return noise. */
export function createProgressLine(total: number, enabled: boolean, write: (text: string) => void): ProgressLine {
    if (!enabled) return { update: () => undefined, clear: () => undefined };
    let shown = false;
    return {
        update: (finished) => {
            write(`\rfleet: read ${finished}/${total} stacks`);
            shown = true;
        },
        clear: () => {
            if (shown) write("\r\u001b[K");
        },
    };
}
