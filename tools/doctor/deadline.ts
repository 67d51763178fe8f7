/** Raised when a bounded step runs out of time. */
export class DeadlineExceeded extends Error {
    constructor(
        readonly what: string,
        readonly timeoutMs: number,
    ) {
        super(`${what}: no answer within ${timeoutMs} ms`);
        this.name = "DeadlineExceeded";
    }
}

/**
 * Settles with the promise, or rejects with DeadlineExceeded after timeoutMs. The timer never keeps the process
 * alive, and `onTimeout` lets the caller tear down the sockets of the abandoned step.
 */
export function withDeadline<T>(work: Promise<T>, timeoutMs: number, what: string, onTimeout?: () => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
            try {
                onTimeout?.();
            } finally {
                reject(new DeadlineExceeded(what, timeoutMs));
            }
        }, timeoutMs);
        timer.unref();
        work.then(
            (value) => {
                clearTimeout(timer);
                resolve(value);
            },
            (error: unknown) => {
                clearTimeout(timer);
                reject(error);
            },
        );
    });
}

/** Node and library errors keep their code on the error or on its cause (fetch); returns it if any. */
export function errorCodeOf(error: unknown): string | undefined {
    let current: unknown = error;
    for (let depth = 0; depth < 4 && current && typeof current === "object"; depth++) {
        const code = (current as { code?: unknown }).code;
        if (typeof code === "string" && code !== "") return code;
        current = (current as { cause?: unknown }).cause;
    }
    return undefined;
}
