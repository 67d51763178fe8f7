// The README's front-door commands, run the way a new user runs them: the `pulumi new` one-liner under bash with
// stand-ins for the two rules of the real CLI it meets, and every `az login` ready for a Microsoft 365-only tenant.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";

const README = readFileSync(path.resolve(__dirname, "..", "README.md"), "utf8");

/** A stand-in `pulumi` for the two steps of the one-liner, each failing as the real CLI does. */
const FAKE_PULUMI = `#!/bin/sh
case "$1" in
  login)
    # The file backend opens its folder with gocloud's fileblob, whose openBucket stats the folder and fails when
    # it does not exist (gocloud.dev blob/fileblob/fileblob.go: "dir must exist").
    dir="\${2#file://}"
    [ -d "$dir" ] || { echo "error: problem logging in: stat $dir: no such file or directory" >&2; exit 1; }
    echo "$dir" > "$FAKE_HOME/backend" ;;
  new)
    # pulumi new refuses a folder holding anything but .git, .hg or .bzr
    # (pkg/cmd/pulumi/project/newcmd/io.go, ErrorIfNotEmptyDirectory).
    if [ -n "$(ls -A | grep -v -x -e .git -e .hg -e .bzr)" ]; then
      echo "error: $PWD is not empty; use --force to continue and overwrite existing files, or use --dir to specify an empty directory." >&2
      exit 1
    fi
    touch Pulumi.yaml ;;
  *) exit 99 ;;
esac
`;

/** The one bash line of the README that runs `pulumi new`. */
function pulumiNewOneLiner(readme: string): string {
    const line = readme.split("\n").find((candidate) => /^mkdir .*pulumi new /.test(candidate));
    assert.ok(line, "the README has a pulumi new one-liner");
    return line;
}

/** Runs a README line under bash in an empty folder, with the stand-in pulumi first on PATH. */
function runInEmptyFolder(line: string): { ok: boolean; stderr: string; folder: string; backend?: string } {
    const folder = mkdtempSync(path.join(tmpdir(), "ucx-readme-"));
    const bin = path.join(folder, ".bin-outside");
    execFileSync("mkdir", ["-p", bin]);
    writeFileSync(path.join(bin, "pulumi"), FAKE_PULUMI, { mode: 0o755 });
    const work = path.join(folder, "work");
    execFileSync("mkdir", ["-p", work]);
    try {
        execFileSync("bash", ["-c", line], {
            cwd: work,
            env: { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH}`, FAKE_HOME: folder },
            stdio: ["ignore", "pipe", "pipe"],
        });
        const backend = path.join(folder, "backend");
        return {
            ok: true,
            stderr: "",
            folder: work,
            backend: existsSync(backend) ? readFileSync(backend, "utf8").trim() : undefined,
        };
    } catch (error) {
        return { ok: false, stderr: String((error as { stderr?: Buffer }).stderr ?? error), folder: work };
    } finally {
        rmSync(bin, { recursive: true, force: true });
    }
}

describe("the README's front door", () => {
    it("the pulumi new one-liner creates the state folder where pulumi login and pulumi new both accept it", () => {
        const run = runInEmptyFolder(pulumiNewOneLiner(README));
        try {
            assert.ok(run.ok, run.stderr);
            assert.ok(
                existsSync(path.join(run.folder, "contoso-mail", "Pulumi.yaml")),
                "pulumi new ran in the project folder",
            );
            assert.equal(run.backend, path.join(run.folder, "ucx-mail-state"));
        } finally {
            rmSync(path.dirname(run.folder), { recursive: true, force: true });
        }
    });

    it("the stand-ins refuse what the real CLI refuses: the earlier one-liner fails", () => {
        const earlier = `mkdir contoso-mail && cd contoso-mail && pulumi login "file://$(pwd)/.pulumi-state" && export PULUMI_CONFIG_PASSPHRASE='x' && pulumi new https://github.com/acme/ucx-mail --name ucx-mail --stack contoso`;
        const withoutFolder = runInEmptyFolder(earlier);
        assert.equal(withoutFolder.ok, false);
        assert.match(withoutFolder.stderr, /no such file or directory/);
        const folderInside = runInEmptyFolder(
            earlier.replace("cd contoso-mail && ", "cd contoso-mail && mkdir .pulumi-state && "),
        );
        assert.equal(folderInside.ok, false);
        assert.match(folderInside.stderr, /is not empty/);
        for (const run of [withoutFolder, folderInside])
            rmSync(path.dirname(run.folder), { recursive: true, force: true });
    });

    it("every az login works in a tenant without an Azure subscription", () => {
        const logins = [...README.matchAll(/az login[^`\n&]*/g)].map((match) => match[0]);
        assert.ok(logins.length >= 3, logins.join("\n"));
        for (const login of logins) assert.match(login, /--tenant (<tenant id>|\S+) --allow-no-subscriptions/, login);
    });

    it("keeps the cron example's passphrase file out of git", () => {
        const gitignore = readFileSync(path.resolve(__dirname, "..", ".gitignore"), "utf8").split("\n");
        const rotation = readFileSync(path.resolve(__dirname, "..", "docs", "rotation.md"), "utf8");
        assert.match(rotation, /PULUMI_CONFIG_PASSPHRASE_FILE=\/opt\/ucx-mail\/\.passphrase /);
        assert.match(rotation, /cd \/opt\/ucx-mail && \(umask 077 && .* > \.passphrase\)/);
        assert.ok(gitignore.includes("/.passphrase"));
    });
});
