import { join } from "node:path";
import { REPO_ROOT, runToolProcess, ToolRun } from "../../support/runToolProcess";

export { REPO_ROOT };

/** What one doctor run printed and returned. */
export type DoctorRun = ToolRun;

/** The `--json` document the doctor prints. */
export interface DoctorJson {
    readonly ok: boolean;
    readonly checks: { id: string; status: string; message: string; fix: string | null }[];
}

/** Runs the doctor as a child process, exactly as `npm run doctor` does, and kills it if it ever hangs. */
export function runDoctorProcess(
    args: readonly string[],
    env: NodeJS.ProcessEnv,
    hardLimitMs = 60_000,
): Promise<DoctorRun> {
    return runToolProcess(join("tools", "doctor", "main.ts"), args, env, { hardLimitMs });
}

/** Parses the JSON output, with the raw text in the error when it is not JSON. */
export function parseDoctorJson(run: DoctorRun): DoctorJson {
    try {
        return JSON.parse(run.stdout) as DoctorJson;
    } catch {
        throw new Error(
            `doctor did not print JSON (exit ${run.code}).\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}`,
        );
    }
}
