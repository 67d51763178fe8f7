import { join } from "node:path";
import { FleetIo, runFleet } from "../../../tools/fleet/main";
import { REPO_ROOT, runToolProcess } from "../../support/runToolProcess";

export { REPO_ROOT };

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
    return runToolProcess(join("tools", "fleet", "main.ts"), args, env, { cwd });
}
