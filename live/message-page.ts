// A plain page for a refused login or a missing session: what happened and what to do, no script.

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function messagePage(title: string, message: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escape(title)} · Aksita</title>
<link rel="stylesheet" href="/live/assets/live.css"></head>
<body class="message"><main><h1>${escape(title)}</h1><p>${escape(message)}</p>
<p>In a terminal on the machine that runs the pipeline, with its DATA_DIR: <code>reply-analytics open</code></p></main></body>
</html>
`;
}
