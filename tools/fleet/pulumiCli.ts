import { execFile } from "node:child_process";

/** No `pulumi` on PATH: nothing can be read, so main exits 2 with a hint. */
export class PulumiCliMissingError extends Error {
    constructor() {
        super(
            "the Pulumi CLI is not on PATH; install it (https://www.pulumi.com/docs/install/) and log in to the stacks' backend with pulumi login.",
        );
        this.name = "PulumiCliMissingError";
    }
}

/** One Pulumi CLI call that exited non-zero, timed out or printed no JSON; `reason` is what the CLI said. */
export class PulumiCallError extends Error {
    constructor(
        readonly command: string,
        readonly reason: string,
    ) {
        super(`${command} failed: ${reason}`);
        this.name = "PulumiCallError";
    }
}

/** How the fleet runs the Pulumi CLI; tests put a test double first on PATH. */
export interface PulumiCliOptions {
    /** Environment for the pulumi process (PATH decides which pulumi runs; the backend login comes from here). */
    readonly env: NodeJS.ProcessEnv;
    /** The project directory: `pulumi stack ls` lists the stacks of the Pulumi.yaml found from here. */
    readonly cwd: string;
    /** Give up on one call after this long. */
    readonly timeoutMs: number;
    /** After the timeout's SIGTERM, how long the CLI may take to exit before SIGKILL (default 5 s). */
    readonly killGraceMs?: number;
}

/**
 * Runs one read-only `pulumi ... --json` command and returns its parsed stdout. stderr matters only on failure:
 * the CLI also prints warnings there (e.g. "A new version of Pulumi is available.") on success.
 */
export function runPulumiJson(args: readonly string[], options: PulumiCliOptions): Promise<unknown> {
    return runPulumi(args, options, (stdout) => JSON.parse(stdout), "it printed no JSON; check the Pulumi CLI version");
}

/** Runs one read-only `pulumi ...` command and returns `parse(stdout)`; a throwing parse rejects with `unparsable`. */
export function runPulumi<T>(
    args: readonly string[],
    options: PulumiCliOptions,
    parse: (stdout: string) => T,
    unparsable: string,
): Promise<T> {
    const command = `pulumi ${args.join(" ")}`;
    return new Promise((resolve, reject) => {
        const child = execFile(
            "pulumi",
            [...args],
            {
                cwd: options.cwd,
                // The update check is a network call and stderr noise on every call (Automation API turns it off too).
                env: { ...options.env, PULUMI_SKIP_UPDATE_CHECK: "true" },
                maxBuffer: 16 * 1024 * 1024,
                windowsHide: true,
            },
            (error, stdout, stderr) => {
                clearTimeout(timer);
                clearTimeout(killer);
                if (error) {
                    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
                        reject(new PulumiCliMissingError());
                        return;
                    }
                    if (timedOut) {
                        reject(
                            new PulumiCallError(command, `no answer within ${Math.round(options.timeoutMs / 1000)} s`),
                        );
                        return;
                    }
                    reject(new PulumiCallError(command, errorLine(String(stderr)) ?? error.message.split("\n")[0]));
                    return;
                }
                try {
                    resolve(parse(String(stdout)));
                } catch {
                    reject(new PulumiCallError(command, unparsable));
                }
            },
        );
        // SIGTERM lets the CLI cancel cleanly; one that ignores it (stuck on a lock, say) gets SIGKILL after the grace.
        let timedOut = false;
        let killer: NodeJS.Timeout | undefined;
        const timer = setTimeout(() => {
            timedOut = true;
            child.kill("SIGTERM");
            killer = setTimeout(() => child.kill("SIGKILL"), options.killGraceMs ?? 5_000);
        }, options.timeoutMs);
        // Nothing may wait for an answer on stdin (a login prompt, say): the fleet runs unattended.
        child.stdin?.end();
    });
}

/** The CLI prints "error: <message>" (diag sink prefix); prefer that line over warnings printed before it. */
function errorLine(stderr: string): string | undefined {
    const lines = stderr
        .split("\n")
        .map((line) => line.trim())
        .filter((line) => line !== "");
    return lines.find((line) => line.startsWith("error:")) ?? lines.at(-1);
}
