import { spawn } from "node:child_process";
import { join } from "node:path";
import { FleetIo, runFleet } from "../../../tools/fleet/main";

/** The repository root: the ucx-mail project directory, with its Pulumi.yaml. */
export const REPO_ROOT = join(__dirname, "..", "..", "..");

/** What one fleet run printed and returned. */
export interface FleetRun {
    readonly code: number | null;
    readonly stdout: string;
    readonly stderr: string;
}

/** Runs the fleet in this process (real CLI processes, injected clock and TTY flags). */
export async function runFleetInProcess(
    argv: readonly string[],
    env: NodeJS.ProcessEnv,
    overrides: Partial<FleetIo> = {},
): Promise<FleetRun> {
    let stdout = "";
    let stderr = "";
    const code = await runFleet(argv, {
        stdout: (text) => (stdout += text),
        stderr: (text) => (stderr += text),
        colour: false,
        progress: false,
        env,
        cwd: REPO_ROOT,
        now: () => new Date(),
        ...overrides,
    });
    return { code, stdout, stderr };
}

/** Runs `node --import tsx tools/fleet/main.ts`, exactly as `npm run fleet` does, with piped stdout and stderr. */
export function runFleetProcess(args: readonly string[], env: NodeJS.ProcessEnv, cwd = REPO_ROOT): Promise<FleetRun> {
    return new Promise((resolve, reject) => {
        const child = spawn(
            process.execPath,
            ["--import", "tsx", join(REPO_ROOT, "tools", "fleet", "main.ts"), ...args],
            {
                cwd,
                env,
                stdio: ["ignore", "pipe", "pipe"],
            },
        );
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
        child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
        const killer = setTimeout(() => child.kill("SIGKILL"), 60_000);
        child.on("error", (error) => {
            clearTimeout(killer);
            reject(error);
        });
        child.on("close", (code) => {
            clearTimeout(killer);
            resolve({ code, stdout, stderr });
        });
    });
}
