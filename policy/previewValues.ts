// Reading resource properties that may still be unknown during `pulumi preview`.
import { UnknownValueError } from "@pulumi/policy";

/**
 * Collects the values a policy could not read because they are only known after apply.
 * A policy checks everything that is known, reports it, and then calls `rethrowFirst()` so the engine still
 * says which check it could not finish during preview (it re-runs the check on `pulumi up`).
 */
export class PreviewGaps {
    private firstGap: UnknownValueError | undefined;

    /** Runs `read`; returns `undefined` and remembers the gap when it touches an unknown value. */
    read<T>(read: () => T): { readonly value: T } | undefined {
        try {
            return { value: read() };
        } catch (error) {
            if (error instanceof UnknownValueError) {
                this.firstGap ??= error;
                return undefined;
            }
            throw error;
        }
    }

    /** Throws the first unknown-value error, if any, so the engine reports the unfinished check as advisory. */
    rethrowFirst(): void {
        if (this.firstGap !== undefined) {
            throw this.firstGap;
        }
    }
}

/** Index-based copy of an array-like property; avoids iterator protocol quirks on the engine's proxies. */
export function arrayItems(value: unknown): unknown[] {
    if (!Array.isArray(value)) {
        return [];
    }
    const items: unknown[] = [];
    for (let index = 0; index < value.length; index++) {
        items.push(value[index]);
    }
    return items;
}

/** A property as a trimmed string, or `undefined` when it is absent or not a string. */
export function stringOrUndefined(value: unknown): string | undefined {
    return typeof value === "string" && value.trim() !== "" ? value.trim() : undefined;
}

/** Text for a message: the value when known, else `fallback`; an unknown value here is not a gap to report. */
export function textForMessage(read: () => unknown, fallback: string): string {
    try {
        const value = read();
        return typeof value === "string" && value !== "" ? value : fallback;
    } catch (error) {
        if (error instanceof UnknownValueError) {
            return fallback;
        }
        throw error;
    }
}
