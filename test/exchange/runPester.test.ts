// scripts/run-pester.sh never lets the PowerShell tests pass by skipping: without pwsh the run fails.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";

const PROJECT_ROOT = path.resolve(__dirname, "..", "..");

/** The absolute path of a tool on PATH, or undefined. */
function which(name: string): string | undefined {
    const found = spawnSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" });
    return found.status === 0 ? found.stdout.trim() : undefined;
}

describe("scripts/run-pester.sh", () => {
    it("fails, even outside CI, when PowerShell is missing", { skip: process.platform === "win32" }, () => {
        // A PATH with the shell tools the script uses and no dotnet.
        const bin = fs.mkdtempSync(path.join(os.tmpdir(), "ucx-no-pwsh-"));
        try {
            for (const tool of ["bash", "sed", "dirname"]) {
                const target = which(tool);
                assert.ok(target, `${tool} is needed for this test`);
                fs.symlinkSync(target, path.join(bin, tool));
            }
            const run = spawnSync(path.join(bin, "bash"), ["scripts/run-pester.sh"], {
                cwd: PROJECT_ROOT,
                encoding: "utf8",
                env: { PATH: bin, HOME: os.tmpdir() },
            });
            assert.equal(run.status, 1, run.stdout + run.stderr);
            assert.match(run.stderr, /PowerShell or Pester is missing/);
        } finally {
            fs.rmSync(bin, { recursive: true, force: true });
        }
    });
});
