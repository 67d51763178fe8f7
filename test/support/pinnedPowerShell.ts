// The project's pinned PowerShell (.NET local tool), located once per test file. `dotnet tool run pwsh` starts the
// SDK's own CLI before PowerShell on every call; a shim that starts pwsh.dll directly saves that for each run.

import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

const PROJECT_ROOT = path.resolve(__dirname, "..", "..");

/** The pinned PowerShell precompiled by scripts/precompile-pwsh.sh, when the setup made it. */
const PRECOMPILED_PWSH = path.join(PROJECT_ROOT, ".tools", "bin", "pwsh");

/**
 * The runtime and the pwsh.dll of the pinned PowerShell (its precompiled copy when there is one), or undefined when
 * `dotnet tool restore` has not run.
 */
export function locatePinnedPowerShell(): { runtime: string; pwshDll: string } | undefined {
    const [file, ...prefix] = fs.existsSync(PRECOMPILED_PWSH) ? [PRECOMPILED_PWSH] : ["dotnet", "tool", "run", "pwsh"];
    const run = spawnSync(
        file,
        [...prefix, "-NoProfile", "-NonInteractive", "-Command", "[Environment]::ProcessPath; $PSHOME"],
        { cwd: PROJECT_ROOT, encoding: "utf8" },
    );
    if (run.status !== 0) return undefined;
    const [runtime, home] = run.stdout.trim().split(/\r?\n/);
    const pwshDll = path.join(home ?? "", "pwsh.dll");
    return runtime && fs.existsSync(pwshDll) ? { runtime, pwshDll } : undefined;
}

/** Writes an executable `pwsh` into `dir` that starts the pinned PowerShell, so that `pwsh` on PATH is the pinned one. */
export function writePwshShim(dir: string, pinned: { runtime: string; pwshDll: string }): void {
    const quoted = [pinned.runtime, pinned.pwshDll].map((part) => `'${part.replace(/'/g, `'\\''`)}'`).join(" ");
    fs.writeFileSync(path.join(dir, "pwsh"), `#!/bin/sh\nexec ${quoted} "$@"\n`, { mode: 0o755 });
}
