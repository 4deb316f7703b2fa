// An XML file as a plain tree, parsed by Python's xml.etree (python3 is already needed by
// compose-config.ts): a file that is not well-formed XML throws here, as ClickHouse would refuse it.
import { spawnSync } from 'node:child_process';

export interface XmlNode {
  tag: string;
  attrs: Record<string, string>;
  text: string;
  children: XmlNode[];
}

const TO_JSON = `
import json, sys, xml.etree.ElementTree as ET
def node(e):
    return {"tag": e.tag, "attrs": dict(e.attrib), "text": (e.text or "").strip(), "children": [node(c) for c in e]}
json.dump(node(ET.parse(sys.argv[1]).getroot()), sys.stdout)
`;

export function readXml(file: string): XmlNode {
  const r = spawnSync('python3', ['-c', TO_JSON, file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${file} is not well-formed XML:\n${r.stderr}`);
  return JSON.parse(r.stdout) as XmlNode;
}

/** The child elements named `tag`. */
export const all = (node: XmlNode | undefined, tag: string): XmlNode[] => node?.children.filter((c) => c.tag === tag) ?? [];

/** The one element at `path` below `node` (tags separated by "/"), or undefined. */
export function at(node: XmlNode | undefined, path: string): XmlNode | undefined {
  let current = node;
  for (const tag of path.split('/')) current = all(current, tag)[0];
  return current;
}
