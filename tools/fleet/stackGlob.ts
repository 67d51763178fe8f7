/**
 * Turns a --stack-filter glob into a test on stack names. Pure. `*` matches any text (slashes too, because
 * `pulumi stack ls` may print a qualified `org/project/stack` name) and `?` one character; everything else is literal.
 */
export function stackNameMatcher(glob: string): (stackName: string) => boolean {
    const pattern = [...glob]
        .map((character) => {
            if (character === "*") return ".*";
            if (character === "?") return ".";
            return character.replace(/[\\^$.|+()[\]{}]/g, "\\$&");
        })
        .join("");
    const expression = new RegExp(`^${pattern}$`, "s");
    return (stackName) => expression.test(stackName);
}
