import { spawn } from "node:child_process";
import { join } from "node:path";

/** The repository root, where `node --import tsx tools/doctor/main.ts` runs. */
export const REPO_ROOT = join(__dirname, "..", "..", "..");

/** What one doctor run printed and returned. */
export interface DoctorRun {
    readonly code: number | null;
    readonly stdout: string;
    readonly stderr: string;
    readonly elapsedMs: number;
}

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
    const started = Date.now();
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, ["--import", "tsx", join("tools", "doctor", "main.ts"), ...args], {
            cwd: REPO_ROOT,
            env,
            stdio: ["ignore", "pipe", "pipe"],
        });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
        child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
        const killer = setTimeout(() => child.kill("SIGKILL"), hardLimitMs);
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
