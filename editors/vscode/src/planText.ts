// The text of the deploy plan document, from the server's `tinybird/plan` answer (no VS Code
// API here, so that the unit tests run it).
export interface ProjectPlan {
  root: string | null;
  base: string | null;
  baseLabel: string | null;
  note: string | null;
  text: string | null;
}

function folder(root: string | null): string {
  if (!root) return "this project";
  try {
    return decodeURIComponent(new URL(root).pathname);
  } catch {
    return root;
  }
}

export function planText(projects: ProjectPlan[]): string {
  if (projects.length === 0) return "No Tinybird project in this workspace yet.\n";
  return projects
    .map((p) => {
      const head = projects.length > 1 ? `# ${folder(p.root)}\n\n` : "";
      if (p.text) return head + p.text;
      return `${head}No deploy plan for ${folder(p.root)}: ${p.note ?? "no base version"}.\n`;
    })
    .join("\n");
}
