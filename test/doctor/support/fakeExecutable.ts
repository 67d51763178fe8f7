import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";

/** A stand-in executable in its own folder, put first on PATH, that logs every call to calls.log beside it. */
export interface FakeExecutable {
    /** The folder that holds the executable and whatever files its script reads. */
    readonly dir: string;
    /** PATH with the fake first. */
    readonly path: string;
    /** Every argument vector the fake was called with, one line each. */
    calls(): string[];
    cleanup(): void;
}

/** Makes the folder (prefix names it in tmp) and an empty calls.log; `install` then writes the script. */
export function createFakeExecutableDir(prefix: string): FakeExecutable {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    writeFileSync(join(dir, "calls.log"), "");
    return {
        dir,
        path: `${dir}${delimiter}${process.env.PATH ?? ""}`,
        calls: () =>
            readFileSync(join(dir, "calls.log"), "utf8")
                .split("\n")
                .filter((line) => line !== ""),
        cleanup: () => rmSync(dir, { recursive: true, force: true }),
    };
}

/** Writes the executable `name` with `script` (a #!/bin/sh script) into the fake's folder. */
export function installFakeExecutable(fake: FakeExecutable, name: string, script: string): void {
    writeFileSync(join(fake.dir, name), script);
    chmodSync(join(fake.dir, name), 0o755);
}
