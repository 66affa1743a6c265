// Drives the real @huggingface/hub and @huggingface/gguf clients against a hub: one call per run.
//   node hf.mjs HFJS_DIR CALL '{"hubUrl": ..., "accessToken": ..., ...}'
// Prints the call's result as one JSON line; a failed call prints {"error", "statusCode"} and exits with 2.
import { createRequire } from "node:module";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";

const [, , dir, call, json] = process.argv;
const require = createRequire(dir + "/node_modules/");
const hub = require("@huggingface/hub");
const { gguf } = require("@huggingface/gguf");
const args = JSON.parse(json);
const common = { hubUrl: args.hubUrl, accessToken: args.accessToken };
const sha256 = (bytes) => createHash("sha256").update(bytes).digest("hex");

async function collect(iterator) {
  const items = [];
  for await (const item of iterator) items.push(item);
  return items;
}

const calls = {
  whoAmI: async () => {
    const me = await hub.whoAmI(common);
    return { name: me.name, type: me.type, role: me.auth.accessToken.role, orgs: me.orgs.map((o) => o.name) };
  },
  createRepo: () => hub.createRepo({ ...common, repo: args.repo, private: args.private ?? false }),
  deleteRepo: async () => {
    await hub.deleteRepo({ ...common, repo: args.repo });
    return { deleted: args.repo };
  },
  modelInfo: async () => {
    const info = await hub.modelInfo({ ...common, name: args.repo, revision: args.revision,
      additionalFields: ["sha", "filePaths"] });
    return { ...info, updatedAt: info.updatedAt.toISOString() };
  },
  listModels: async () => (await collect(hub.listModels({ ...common, search: { query: args.query } }))).map((m) => m.name),
  listFiles: async () => collect(hub.listFiles({ ...common, repo: args.repo, recursive: args.recursive ?? true,
    path: args.path })),
  listCommits: async () => (await collect(hub.listCommits({ ...common, repo: args.repo, batchSize: args.batchSize })))
    .map((c) => ({ ...c, date: c.date.toISOString() })),
  pathsInfo: () => hub.pathsInfo({ ...common, repo: args.repo, paths: args.paths }),
  uploadFiles: async () => {
    const files = args.files.map((f) => ({
      path: f.path,
      content: new Blob([f.file ? readFileSync(f.file) : Buffer.from(f.text ?? "", "utf-8")]),
    }));
    const result = await hub.uploadFiles({ ...common, repo: args.repo, files, commitTitle: args.title });
    return { commit: result.commit.oid, url: result.commit.url };
  },
  deleteFile: async () => {
    const result = await hub.deleteFile({ ...common, repo: args.repo, path: args.path });
    return { commit: result.commit.oid };
  },
  fileExists: async () => ({ exists: await hub.fileExists({ ...common, repo: args.repo, path: args.path }) }),
  fileDownloadInfo: async () => {
    const info = await hub.fileDownloadInfo({ ...common, repo: args.repo, path: args.path, revision: args.revision });
    return info === null ? { missing: true } : { etag: info.etag, size: info.size, url: info.url };
  },
  downloadFile: async () => {
    const blob = await hub.downloadFile({ ...common, repo: args.repo, path: args.path, revision: args.revision });
    if (blob === null) return { missing: true };
    const bytes = Buffer.from(await blob.arrayBuffer());
    return { size: bytes.length, sha256: sha256(bytes) };
  },
  snapshotDownload: async () => ({
    folder: await hub.snapshotDownload({ ...common, repo: args.repo, cacheDir: args.cacheDir }),
  }),
  gguf: async () => {
    const url = `${args.hubUrl}/${args.repo}/resolve/${args.revision ?? "main"}/${args.path}`;
    const { metadata, tensorInfos } = await gguf(url, {
      additionalFetchHeaders: args.accessToken ? { Authorization: `Bearer ${args.accessToken}` } : {},
    });
    return {
      architecture: metadata["general.architecture"],
      fileType: Number(metadata["general.file_type"]),
      tensorCount: Number(metadata.tensor_count),
      tensors: tensorInfos.length,
    };
  },
};

try {
  const result = await calls[call]();
  console.log(JSON.stringify(result ?? {}));
} catch (e) {
  console.log(JSON.stringify({ error: String(e.message ?? e), statusCode: e.statusCode ?? null }));
  process.exit(2);
}
