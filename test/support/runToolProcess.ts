import { spawn } from "node:child_process";
import { join } from "node:path";

/** The repository root: the ucx-mail project directory, with its Pulumi.yaml. */
export const REPO_ROOT = join(__dirname, "..", "..");

/** What one tool process printed and returned. */
export interface ToolRun {
    readonly code: number | null;
    readonly stdout: string;
    readonly stderr: string;
    readonly elapsedMs: number;
}

/**
 * Runs `node --import tsx <entry> <args>` as its npm script does, with piped stdout and stderr, and kills it if it
 * ever hangs past `hardLimitMs`.
 */
export function runToolProcess(
    entry: string,
    args: readonly string[],
    env: NodeJS.ProcessEnv,
    options: { readonly cwd?: string; readonly hardLimitMs?: number } = {},
): Promise<ToolRun> {
    const started = Date.now();
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, ["--import", "tsx", join(REPO_ROOT, entry), ...args], {
            cwd: options.cwd ?? REPO_ROOT,
            env,
            stdio: ["ignore", "pipe", "pipe"],
        });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
        child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
        const killer = setTimeout(() => child.kill("SIGKILL"), options.hardLimitMs ?? 60_000);
        child.on("error", (error) => {
            clearTimeout(killer);
            reject(error);
        });
        child.on("close", (code) => {
            clearTimeout(killer);
            resolve({ code, stdout, stderr, elapsedMs: Date.now() - started });
        });
    });
}
