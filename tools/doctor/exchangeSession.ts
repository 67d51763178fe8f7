import { type ChildProcess, spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";
import { ExchangeOptions } from "./cliArgs";
import { CloudName, ENVIRONMENT } from "../../components/contract";
import { escapeUntrustedStrings, escapeUntrustedText } from "../untrustedText";

/** The repository root: the doctor entry script and the project's dotnet tool manifest live here. */
const REPO_ROOT = join(__dirname, "..", "..");
/** The entry script that loads the module's parts and runs the read-only diagnosis. */
export const DOCTOR_ENTRY_SCRIPT = join(REPO_ROOT, "components", "exchange", "Invoke-UcxMailDoctor.ps1");

/** How to start PowerShell: the pwsh on PATH, or else the project's local tool. */
export interface PwshCommand {
    readonly file: string;
    readonly prefix: readonly string[];
    /** How it was found, for messages. */
    readonly description: string;
}

/** What the diagnosis script reported about one mailbox. */
export interface MailboxFindings {
    readonly mailbox: string;
    readonly exists: boolean;
    /** A non-deny FullAccess grant for one of the principal's identities. */
    readonly fullAccess: boolean;
    /** A Deny FullAccess entry for the principal. */
    readonly fullAccessDenied: boolean;
    /** The User column values Get-MailboxPermission listed, for messages. */
    readonly users: readonly string[];
    readonly imapEnabled: boolean | null;
    readonly popEnabled: boolean | null;
    /** $null (inherit the organization), true or false. */
    readonly smtpClientAuthenticationDisabled: boolean | null;
}

/** The one JSON line Invoke-UcxMailDoctor.ps1 prints. */
export interface ExchangeFindings {
    readonly schema: string;
    readonly principal: {
        readonly found: boolean;
        readonly objectId?: string | null;
        readonly displayName?: string | null;
        readonly identities?: readonly string[];
    };
    readonly mailboxes: readonly MailboxFindings[];
    readonly organization: { readonly smtpClientAuthenticationDisabled: boolean | null };
}

/** Why the diagnosis could not run at all; every Exchange check fails with it. */
export interface ExchangeSessionFailure {
    readonly stage: "pwsh" | "module" | "input" | "connect" | "cmdlet" | "read" | "timeout" | "output";
    readonly message: string;
}

export type ExchangeSessionResult =
    | { readonly ok: true; readonly findings: ExchangeFindings }
    | { readonly ok: false; readonly failure: ExchangeSessionFailure };

/** What one diagnosis needs besides the connection. */
export interface ExchangeDiagnosisRequest {
    readonly exchange: ExchangeOptions;
    readonly cloud: CloudName;
    /** Application (client) ID of the mail app whose Exchange principal is checked. */
    readonly appId: string;
    readonly mailboxes: readonly string[];
}

/** Finds pwsh on PATH, else `dotnet tool run pwsh` (the version pinned in .config/dotnet-tools.json). */
export function findPwsh(env: NodeJS.ProcessEnv): PwshCommand {
    const names = process.platform === "win32" ? ["pwsh.exe", "pwsh.cmd"] : ["pwsh"];
    for (const directory of (env.PATH ?? "").split(delimiter).filter((entry) => entry !== "")) {
        for (const name of names) {
            const candidate = join(directory, name);
            try {
                accessSync(candidate, constants.X_OK);
                return { file: candidate, prefix: [], description: `pwsh on PATH (${candidate})` };
            } catch {
                // not here
            }
        }
    }
    return { file: "dotnet", prefix: ["tool", "run", "pwsh"], description: "dotnet tool run pwsh" };
}

/**
 * The environment of the pwsh child: the doctor's own environment (so PSModulePath and the Exchange secrets pass
 * through unchanged) plus the inputs of the diagnosis. Values go in the environment, never on the command line.
 */
export function diagnosisEnvironment(request: ExchangeDiagnosisRequest, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
    const { exchange } = request;
    // The Exchange steps' own variables (contract/ucx-mail.json), read by the same PowerShell settings reader.
    const inputs: Record<string, string | undefined> = {
        [ENVIRONMENT.auth]: exchange.mode,
        [ENVIRONMENT.organization]: exchange.organization,
        [ENVIRONMENT.cloud]: request.cloud,
        [ENVIRONMENT.automationAppId]: exchange.appId,
        [ENVIRONMENT.certificatePath]: exchange.certificatePath,
        // Already weighed against the flag and the stack (cliArgs), so the reader must not let it win again.
        [ENVIRONMENT.localCertificatePath]: undefined,
        [ENVIRONMENT.managedIdentityAccountId]: exchange.managedIdentityAccountId,
        [ENVIRONMENT.adminUpn]: exchange.adminUpn,
        [ENVIRONMENT.appId]: request.appId,
        [ENVIRONMENT.mailboxes]: JSON.stringify(request.mailboxes),
    };
    const child: NodeJS.ProcessEnv = { ...env };
    for (const [key, value] of Object.entries(inputs)) {
        if (value === undefined) delete child[key];
        else child[key] = value;
    }
    return child;
}

/** Runs the read-only diagnosis in one pwsh process within the Exchange timeout and reads its JSON line. */
export function runExchangeDiagnosis(
    request: ExchangeDiagnosisRequest,
    env: NodeJS.ProcessEnv,
    pwsh: PwshCommand = findPwsh(env),
): Promise<ExchangeSessionResult> {
    const timeoutMs = request.exchange.timeoutMs;
    return new Promise((resolve) => {
        const child = spawn(
            pwsh.file,
            [
                ...pwsh.prefix,
                "-NoProfile",
                // An interactive sign-in opens the browser; every other mode must never wait for input.
                ...(request.exchange.mode === "interactive" ? [] : ["-NonInteractive"]),
                "-File",
                DOCTOR_ENTRY_SCRIPT,
            ],
            {
                cwd: REPO_ROOT,
                env: diagnosisEnvironment(request, env),
                stdio: ["ignore", "pipe", "pipe"],
                windowsHide: true,
                // Its own process group, so a timeout can end pwsh under `dotnet tool run` too, not just dotnet.
                detached: process.platform !== "win32",
            },
        );
        let stdout = "";
        let stderr = "";
        let timedOut = false;
        child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
        child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
        const timer = setTimeout(() => {
            timedOut = true;
            killProcessTree(child);
        }, timeoutMs);
        timer.unref();
        child.on("error", (error: NodeJS.ErrnoException) => {
            clearTimeout(timer);
            resolve({
                ok: false,
                failure: {
                    stage: "pwsh",
                    message: `PowerShell could not be started (${pwsh.description}: ${error.code ?? error.message}).`,
                },
            });
        });
        child.on("close", (code) => {
            clearTimeout(timer);
            if (timedOut) {
                resolve({
                    ok: false,
                    failure: {
                        stage: "timeout",
                        message: `The Exchange checks did not finish within ${timeoutMs} ms (pwsh, module import, connection and checks together).`,
                    },
                });
                return;
            }
            resolve(readDiagnosisOutput(code, stdout, stderr, pwsh));
        });
    });
}

/**
 * Ends a child and everything it started: `dotnet tool run pwsh` runs pwsh as a grandchild, which would otherwise keep
 * running (and keep the output pipes open). POSIX: the child leads its own process group (spawned detached), so the
 * whole group gets SIGKILL; Windows: taskkill /T ends the tree.
 */
export function killProcessTree(child: ChildProcess): void {
    if (child.pid === undefined) return;
    if (process.platform === "win32") {
        spawn("taskkill", ["/pid", String(child.pid), "/T", "/F"], { stdio: "ignore", windowsHide: true });
        return;
    }
    try {
        process.kill(-child.pid, "SIGKILL");
    } catch {
        // The group is gone already; the child itself may still need the signal.
        child.kill("SIGKILL");
    }
}

/** Sorts the child's exit into findings or a failure. Pure, so every exit shape is testable. */
export function readDiagnosisOutput(
    code: number | null,
    stdout: string,
    stderr: string,
    pwsh: Pick<PwshCommand, "description">,
): ExchangeSessionResult {
    const line = stdout
        .split(/\r?\n/)
        .map((entry) => entry.trim())
        .reverse()
        .find((entry) => entry.startsWith("{"));
    let parsed: unknown;
    try {
        parsed = line === undefined ? undefined : JSON.parse(line);
    } catch {
        parsed = undefined;
    }
    // Exchange's answers (display names, the User column, error texts) and the stack's config values the failures
    // quote are written by others: inert before anything prints them.
    const record = escapeUntrustedStrings(parsed) as
        (Partial<ExchangeFindings> & { failure?: ExchangeSessionFailure }) | undefined;
    if (record?.failure && typeof record.failure.message === "string") {
        return { ok: false, failure: record.failure };
    }
    if (code === 0 && record?.principal && Array.isArray(record.mailboxes) && record.organization) {
        return { ok: true, findings: record as ExchangeFindings };
    }
    const lastLine = stderr
        .split(/\r?\n/)
        .map((entry) => entry.trim())
        .filter((entry) => entry !== "")
        .at(-1);
    const lastError = lastLine === undefined ? undefined : escapeUntrustedText(lastLine);
    // dotnet prints this when the tool manifest has not been restored; the local tool cannot start.
    if (/dotnet tool restore|Run "dotnet tool restore"|could not find|command could be found/i.test(stderr)) {
        return {
            ok: false,
            failure: { stage: "pwsh", message: `PowerShell is not available (${pwsh.description}: ${lastError}).` },
        };
    }
    return {
        ok: false,
        failure: {
            stage: "output",
            message: `The Exchange diagnosis ended with exit code ${code ?? "none"} and no result${lastError ? `: ${lastError}` : ""}.`,
        },
    };
}
