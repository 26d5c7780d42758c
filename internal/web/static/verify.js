// "Verify this record": checks a Phalanx proof bundle in the browser, so
// the analyst need not take the node's word for it. It re-implements the
// offline checks of docs/verification.md (seven for a v1 bundle, eight for
// a v2 one) from the bundle's bytes,
// with the browser's own WebCrypto for SHA-256 and Ed25519, against the
// member set the page carries (the node's member directory). Nothing here
// trusts a hash, a decoded field or a verdict from the node: every hash is
// recomputed and every signature verified from the bytes of the bundle.
// No dependencies, no build step.

const enc = new TextEncoder();
const dec = new TextDecoder("utf-8", { fatal: true });

// ---- bytes ----

function concat(...parts) {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}
function eq(a, b) {
  if (!a || !b || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
function unhex(s) {
  if (typeof s !== "string" || !/^([0-9a-f]{2})*$/.test(s)) throw new Error(`${JSON.stringify(s)} is not lower-case hex`);
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.substr(2 * i, 2), 16);
  return out;
}
function unb64(s) {
  if (typeof s !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 !== 0) throw new Error("not standard base64");
  const bin = atob(s);
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}
const b64 = (b) => btoa(String.fromCharCode(...b));
function u64be(n) {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt.asUintN(64, BigInt(n)));
  return out;
}
function u64le(n) {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt.asUintN(64, BigInt(n)), true);
  return out;
}
function lp(b) {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, b.length);
  return concat(out, b);
}
function uvarint(n) {
  n = BigInt.asUintN(64, BigInt(n));
  const out = [];
  while (n >= 0x80n) { out.push(Number(n & 0x7fn) | 0x80); n >>= 7n; }
  out.push(Number(n));
  return Uint8Array.from(out);
}

// ---- WebCrypto ----

async function sha256(b) { return new Uint8Array(await crypto.subtle.digest("SHA-256", b)); }
async function ed25519Verify(pub, msg, sig) {
  if (pub.length !== 32 || sig.length !== 64) return false;
  const key = await crypto.subtle.importKey("raw", pub, { name: "Ed25519" }, false, ["verify"]);
  return crypto.subtle.verify({ name: "Ed25519" }, key, sig, msg);
}

// ---- RFC 6962 ----

const leafHash = (data) => sha256(concat(Uint8Array.of(0), data));
const nodeHash = (l, r) => sha256(concat(Uint8Array.of(1), l, r));

// merkleRoot is the RFC 6962 root of items (split at the largest power of
// two smaller than n), as CometBFT hashes a header's fields.
async function merkleRoot(items) {
  if (items.length === 0) return sha256(new Uint8Array(0));
  if (items.length === 1) return leafHash(items[0]);
  let k = 1;
  while (k * 2 < items.length) k *= 2;
  return nodeHash(await merkleRoot(items.slice(0, k)), await merkleRoot(items.slice(k)));
}

// inclusionRoot follows RFC 9162 section 2.1.3.2.
async function inclusionRoot(index, size, leaf, path) {
  if (index >= size) throw new Error(`leaf ${index} is outside the checkpoint's tree of size ${size}`);
  let fn = index, sn = size - 1n, r = leaf;
  for (const p of path) {
    if (sn === 0n) throw new Error("inclusion proof is longer than the tree is deep");
    if ((fn & 1n) === 1n || fn === sn) {
      r = await nodeHash(p, r);
      if ((fn & 1n) === 0n) while ((fn & 1n) === 0n && fn !== 0n) { fn >>= 1n; sn >>= 1n; }
    } else {
      r = await nodeHash(r, p);
    }
    fn >>= 1n; sn >>= 1n;
  }
  if (sn !== 0n) throw new Error("inclusion proof is shorter than the tree is deep");
  return r;
}

// ---- CBOR (RFC 8949 core deterministic encoding: the subset transactions use) ----

function cborDecode(b) {
  let o = 0;
  const need = (n) => { if (o + n > b.length) throw new Error("CBOR: truncated"); };
  const head = () => {
    need(1);
    const ib = b[o++], major = ib >> 5, ai = ib & 31;
    let n;
    if (ai < 24) n = BigInt(ai);
    else if (ai <= 27) {
      const len = 1 << (ai - 24);
      need(len);
      n = 0n;
      for (let i = 0; i < len; i++) n = (n << 8n) | BigInt(b[o++]);
      const min = [24n, 256n, 65536n, 4294967296n][ai - 24];
      if (n < min) throw new Error("CBOR: not in deterministic (shortest) form");
    } else throw new Error("CBOR: indefinite or reserved length");
    return [major, n];
  };
  const item = (depth) => {
    if (depth > 16) throw new Error("CBOR: nested too deep");
    const [major, n] = head();
    switch (major) {
      case 0: return n;
      case 2: case 3: {
        const len = Number(n);
        need(len);
        const v = b.subarray(o, o + len);
        o += len;
        return major === 2 ? v : dec.decode(v);
      }
      case 4: {
        if (n > BigInt(b.length)) throw new Error("CBOR: array longer than the input");
        const a = [];
        for (let i = 0n; i < n; i++) a.push(item(depth + 1));
        return a;
      }
      case 5: {
        if (n > BigInt(b.length)) throw new Error("CBOR: map longer than the input");
        const m = new Map();
        let prev = -1n;
        for (let i = 0n; i < n; i++) {
          const k = item(depth + 1);
          if (typeof k !== "bigint" || k <= prev) throw new Error("CBOR: map keys must be ascending unsigned integers");
          prev = k;
          m.set(k, item(depth + 1));
        }
        return m;
      }
      default: throw new Error(`CBOR: major type ${major} is not used by transactions`);
    }
  };
  const v = item(0);
  if (o !== b.length) throw new Error("CBOR: trailing bytes");
  return v;
}

// ---- protobuf wire format ----

// pbFields decodes one message into {field: [values]}; a value is a BigInt
// (varint, fixed64, fixed32) or a Uint8Array (length-delimited).
function pbFields(b) {
  const out = {};
  let o = 0;
  const varint = () => {
    let n = 0n, shift = 0n;
    for (;;) {
      if (o >= b.length) throw new Error("protobuf: truncated varint");
      const x = b[o++];
      n |= BigInt(x & 0x7f) << shift;
      if (!(x & 0x80)) return n;
      shift += 7n;
      if (shift > 63n) throw new Error("protobuf: varint too long");
    }
  };
  while (o < b.length) {
    const key = varint(), field = Number(key >> 3n), wire = Number(key & 7n);
    let v;
    if (wire === 0) v = varint();
    else if (wire === 2) {
      const len = Number(varint());
      if (o + len > b.length) throw new Error("protobuf: truncated field");
      v = b.subarray(o, o + len);
      o += len;
    } else if (wire === 1 || wire === 5) {
      const len = wire === 1 ? 8 : 4;
      if (o + len > b.length) throw new Error("protobuf: truncated field");
      v = 0n;
      for (let i = len - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[o + i]);
      o += len;
    } else throw new Error(`protobuf: wire type ${wire}`);
    (out[field] ||= []).push(v);
  }
  return out;
}
const pbOne = (f, n, dflt) => (f[n] ? f[n][f[n].length - 1] : dflt);
const pbBytes = (f, n) => pbOne(f, n, new Uint8Array(0));
const pbInt = (f, n) => BigInt.asIntN(64, pbOne(f, n, 0n));
function pbLen(field, body) { return concat(uvarint((field << 3) | 2), uvarint(body.length), body); }

// Protobuf scalars as the Go decoder reads them (int32 and uint32 keep
// the low 32 bits of the varint), encoded back with zero fields omitted.
const pbU64 = (f, n) => BigInt.asUintN(64, pbOne(f, n, 0n));
const pbU32 = (f, n) => BigInt.asUintN(32, pbOne(f, n, 0n));
const pbI32 = (f, n) => BigInt.asIntN(32, pbOne(f, n, 0n));
const pbVarint = (field, v) => (v ? concat(uvarint(field << 3), uvarint(v)) : new Uint8Array(0));
const pbBytesField = (field, v) => (v.length ? pbLen(field, v) : new Uint8Array(0));

// timestampOf re-encodes a Timestamp message {1: seconds int64, 2: nanos int32}.
function timestampOf(b) {
  const f = pbFields(b);
  return concat(pbVarint(1, pbU64(f, 1)), pbVarint(2, pbI32(f, 2)));
}

// blockIDOf re-encodes a BlockID {1: hash, 2: PartSetHeader{1: total uint32, 2: hash}}
// (the part set header is always present, as CometBFT encodes it).
function blockIDOf(b) {
  const f = pbFields(b), psh = pbFields(pbBytes(f, 2));
  return concat(pbBytesField(1, pbBytes(f, 1)), pbLen(2, concat(pbVarint(1, pbU32(psh, 1)), pbBytesField(2, pbBytes(psh, 2)))));
}

// headerHashFields are the 14 byte strings CometBFT hashes into a header's
// hash (docs/verification.md, check 6), encoded from the decoded header.
function headerHashFields(h) {
  const version = pbFields(pbBytes(h, 1));
  const wrap = (v) => pbBytesField(1, v); // BytesValue / StringValue
  return [
    concat(pbVarint(1, pbU64(version, 1)), pbVarint(2, pbU64(version, 2))), // Consensus
    wrap(pbBytes(h, 2)),                                                    // chain_id
    pbVarint(1, BigInt.asUintN(64, pbInt(h, 3))),                           // height (Int64Value)
    timestampOf(pbBytes(h, 4)),                                             // time
    blockIDOf(pbBytes(h, 5)),                                               // last_block_id
    ...[6, 7, 8, 9, 10, 11, 12, 13, 14].map((n) => wrap(pbBytes(h, n))),
  ];
}

// voteSignBytes is the CanonicalVote a validator signed for commit
// signature sig (docs/verification.md, check 7).
function voteSignBytes(chainID, height, round, blockHash, partsTotal, partsHash, timestamp) {
  let psh = new Uint8Array(0);
  if (partsTotal) psh = concat(psh, Uint8Array.of(0x08), uvarint(partsTotal));
  if (partsHash.length) psh = concat(psh, pbLen(2, partsHash));
  let bid = blockHash.length ? pbLen(1, blockHash) : new Uint8Array(0);
  bid = concat(bid, pbLen(2, psh));
  const cv = concat(
    Uint8Array.of(0x08, 0x02),
    Uint8Array.of(0x11), u64le(height),
    round ? concat(Uint8Array.of(0x19), u64le(round)) : new Uint8Array(0),
    pbLen(4, bid),
    pbLen(5, timestamp),
    chainID.length ? pbLen(6, chainID) : new Uint8Array(0),
  );
  return concat(uvarint(cv.length), cv);
}

// ---- the checks ----

// parseBundle reads the bundle JSON, keeping 64-bit integers exact.
function parseBundle(text) {
  const big = new Set(["index", "height", "time_unix_nano"]);
  const b = JSON.parse(text, function (k, v, ctx) {
    if (big.has(k) && typeof v === "number") {
      if (!ctx || typeof ctx.source !== "string") throw new Error("this browser cannot read 64-bit integers from JSON exactly");
      return BigInt(ctx.source);
    }
    return v;
  });
  if (b.format !== "phalanx-proof-bundle/v1" && b.format !== "phalanx-proof-bundle/v2")
    throw new Error(`format ${JSON.stringify(b.format)} is neither phalanx-proof-bundle/v1 nor /v2`);
  return b;
}

function membersOf(raw) {
  return raw.map((m) => ({
    id: m.id, status: m.status || "", power: BigInt(m.power || 0),
    signKey: m.sign_key ? unb64(m.sign_key) : new Uint8Array(0),
    validatorKey: m.validator_key ? unb64(m.validator_key) : new Uint8Array(0),
  }));
}

// content is what the leaf hashes and the transaction carries: the sealed
// envelope of a sealed record (leaf v2), else the STIX object (leaf v1).
function content(rec) { return rec.sealed || rec.object; }

async function checkLeaf(b, rec) {
  if ((rec.sealed !== null) === (rec.object.length > 0)) throw new Error("the record must carry exactly one of object and sealed");
  const data = concat(enc.encode(rec.sealed ? "phalanx/record/v2" : "phalanx/record/v1"), Uint8Array.of(0),
    u64be(rec.index), u64be(rec.height), u64be(rec.timeUnixNano),
    lp(rec.txHash), lp(enc.encode(rec.author)), lp(enc.encode(rec.objectID)), lp(enc.encode(rec.modified)),
    await sha256(content(rec)));
  const leaf = await leafHash(data);
  const claimed = unhex(b.leaf_hash);
  if (!eq(leaf, claimed)) throw new Error(`record fields hash to leaf ${hex(leaf)}, the bundle says ${hex(claimed)}`);
  return `leaf hash ${hex(leaf)}`;
}

async function checkAuthor(b, rec, members) {
  const raw = unb64(b.tx);
  const h = await sha256(raw);
  if (!eq(h, rec.txHash)) throw new Error(`transaction hashes to ${hex(h)}, the record names ${hex(rec.txHash)}`);
  const tx = cborDecode(raw);
  if (!Array.isArray(tx) || tx.length !== 2 || !(tx[0] instanceof Uint8Array) || !(tx[1] instanceof Uint8Array) || tx[1].length !== 64)
    throw new Error("transaction is not [body bstr, signature bstr(64)]");
  const body = cborDecode(tx[0]);
  if (!(body instanceof Map)) throw new Error("transaction body is not a map");
  const author = body.get(3n);
  if (author !== rec.author) throw new Error(`transaction is by ${JSON.stringify(author)}, the record says ${JSON.stringify(rec.author)}`);
  const m = members.find((x) => x.id === author);
  if (!m) throw new Error(`author ${JSON.stringify(author)} is not in the member set`);
  const signed = concat(enc.encode("phalanx/tx/v1"), Uint8Array.of(0), tx[0]);
  if (!(await ed25519Verify(m.signKey, signed, tx[1]))) throw new Error(`transaction signature does not verify with ${author}'s key`);
  const type = body.get(2n);
  if (type !== 1n && type !== 4n) throw new Error(`transaction is of type ${type}, neither a publish (1) nor a sealed publish (4)`);
  const payload = cborDecode(body.get(5n));
  const objects = payload instanceof Map ? payload.get(1n) : undefined;
  if (!Array.isArray(objects)) throw new Error("transaction payload is not {1: [objects]}");
  const pos = b.tx_object;
  if (!Number.isInteger(pos) || pos < 0 || pos >= objects.length)
    throw new Error(`transaction carries ${objects.length} objects; the bundle points at object ${pos}`);
  if (!eq(objects[pos], content(rec))) throw new Error(`object ${pos} of the signed transaction differs from the record's object`);
  return `signed by ${author}`;
}

// decodeTxHeader decodes a version 2 transaction header: canonical CBOR
// {1: chain_id tstr, 2: type uint (1 or 4), 3: author tstr, 4: nonce uint,
// 5: item_count uint, 6: items_root bstr(32)}, exactly those six keys, and
// key 7, payload_hash bstr(32), when the items travelled compressed.
function decodeTxHeader(raw) {
  const h = cborDecode(raw);
  if (!(h instanceof Map)) throw new Error("transaction header: not a map");
  const keys = [...h.keys()];
  if ((keys.length !== 6 && keys.length !== 7) || keys.some((k, i) => k !== BigInt(i + 1)))
    throw new Error("transaction header: keys must be exactly 1-6, or 1-7");
  const payloadHash = h.get(7n);
  if (payloadHash !== undefined && (!(payloadHash instanceof Uint8Array) || payloadHash.length !== 32))
    throw new Error("transaction header: payload_hash must be 32 bytes");
  const [chain, type, author, nonce, count, root] = keys.slice(0, 6).map((k) => h.get(k));
  if (typeof chain !== "string" || typeof author !== "string") throw new Error("transaction header: chain_id and author must be text");
  if (typeof type !== "bigint" || typeof nonce !== "bigint" || typeof count !== "bigint") throw new Error("transaction header: type, nonce and item_count must be unsigned integers");
  if (!(root instanceof Uint8Array) || root.length !== 32) throw new Error("transaction header: items_root must be 32 bytes");
  if (type !== 1n && type !== 4n) throw new Error(`transaction header: a version 2 transaction must be a publish or a sealed publish, not type ${type}`);
  return { chain, type, author, nonce, count, root };
}

// checkAuthorV2 checks the signed header of a version 2 transaction
// (check 2 of a v2 bundle); it returns the header (or null) for check 2b.
async function checkAuthorV2(b, rec, members, report) {
  let h = null;
  await run(report, "author_signature", async () => {
    const raw = unb64(b.tx_header || "");
    try {
      h = decodeTxHeader(raw);
    } catch (e) {
      throw new Error(`transaction header: ${e.message}`);
    }
    if (h.author !== rec.author) throw new Error(`transaction header is by ${JSON.stringify(h.author)}, the record says ${JSON.stringify(rec.author)}`);
    const m = members.find((x) => x.id === h.author);
    if (!m) throw new Error(`author ${JSON.stringify(h.author)} is not in the member set`);
    const sig = unhex(b.tx_signature || "");
    if (!(await ed25519Verify(m.signKey, concat(enc.encode("phalanx/tx/v2"), Uint8Array.of(0), raw), sig)))
      throw new Error(`transaction header signature does not verify with ${h.author}'s key`);
    if (rec.sealed && h.type !== 4n) throw new Error("the record is sealed but the signed transaction is a publish");
    if (!rec.sealed && h.type !== 1n) throw new Error("the record is plaintext but the signed transaction is a sealed publish");
    return `transaction header signed by ${rec.author}`;
  });
  return h;
}

// checkItem: the record's object is item tx_object under the signed
// header's items root (check 2b of a v2 bundle).
async function checkItem(b, rec, h) {
  if (!h) throw new Error("no items root to prove the item in: the header does not decode");
  if ((rec.sealed !== null) === (rec.object.length > 0)) throw new Error("the record must carry exactly one of object and sealed");
  const pos = b.tx_object;
  if (!Number.isInteger(pos) || pos < 0 || BigInt(pos) >= h.count)
    throw new Error(`the signed header commits to ${h.count} items; the bundle points at item ${pos}`);
  const path = (b.item_path || []).map(unhex);
  if (path.length > 64) throw new Error(`item path has ${path.length} hashes; at most 64`);
  const root = await inclusionRoot(BigInt(pos), h.count, await leafHash(content(rec)), path);
  if (!eq(root, h.root)) throw new Error(`the record's object is not proven as item ${pos} of the ${h.count} the author signed (items root ${hex(h.root)})`);
  return `item ${pos} of ${h.count} under the signed items root ${hex(h.root)}`;
}

async function openCheckpoint(note, members) {
  const cut = note.indexOf("\n\n");
  if (cut < 0) throw new Error("checkpoint note has no signature block (blank line)");
  const text = note.slice(0, cut + 1);
  const lines = text.slice(0, -1).split("\n");
  if (lines.length !== 5) throw new Error(`checkpoint has ${lines.length} lines; want 5`);
  const dec10 = (s, what) => {
    if (!/^(0|[1-9][0-9]*)$/.test(s)) throw new Error(`checkpoint ${what} ${JSON.stringify(s)} is not a canonical decimal`);
    return BigInt(s);
  };
  const hash = (s, what) => {
    const v = unb64(s);
    if (v.length !== 32 || b64(v) !== s) throw new Error(`checkpoint ${what} ${JSON.stringify(s)} is not base64 of 32 bytes`);
    return v;
  };
  if (!lines[0] || /[ \t]/.test(lines[0])) throw new Error(`checkpoint origin ${JSON.stringify(lines[0])}`);
  if (!lines[3].startsWith("height ") || !lines[4].startsWith("state ")) throw new Error("checkpoint lines 4-5 must be \"height N\" and \"state BASE64\"");
  const c = { origin: lines[0], size: dec10(lines[1], "size"), root: hash(lines[2], "root"),
    height: dec10(lines[3].slice(7), "height"), state: hash(lines[4].slice(6), "state") };
  const signers = [];
  for (const line of note.slice(cut + 2).split("\n")) {
    if (line === "") continue;
    const m = /^\u2014 (\S+) (\S+)$/.exec(line);
    if (!m) throw new Error(`checkpoint note signature line ${JSON.stringify(line)}`);
    const sig = unb64(m[2]);
    const member = members.find((x) => x.id === m[1]);
    if (!member || member.signKey.length !== 32 || sig.length !== 68) continue; // unknown signers are ignored
    const id = (await sha256(concat(enc.encode(m[1]), Uint8Array.of(0x0a, 0x01), member.signKey))).subarray(0, 4);
    if (!eq(id, sig.subarray(0, 4))) continue; // signed with another key of that name
    if (!(await ed25519Verify(member.signKey, enc.encode(text), sig.subarray(4))))
      return [c, null, `checkpoint note signature by ${m[1]} does not verify`]; // the other checks still run
    signers.push(m[1]);
  }
  const by = signers.length ? `note signed by ${signers.join(", ")}` : "no member's note signature verifies; the validators' commit binds it";
  return [c, `${c.origin} at height ${c.height}: size ${c.size}, root ${hex(c.root)} (${by})`, null];
}

async function appHashOf(c) {
  return sha256(concat(enc.encode("phalanx/apphash/v1"), Uint8Array.of(0), u64be(c.size), c.root, c.state));
}

// bind runs checks 5-7 on the checkpoint's header and commit.
async function bind(c, sc, members, report) {
  let header, commit;
  try {
    header = pbFields(unb64(sc.header));
    commit = pbFields(unb64(sc.commit));
  } catch (e) {
    for (const n of ["app_hash", "header", "signatures"]) report(n, false, `header or commit: ${e.message}`);
    return;
  }
  const chainID = dec.decode(pbBytes(header, 2)), height = pbInt(header, 3);
  await run(report, "app_hash", async () => {
    const want = await appHashOf(c);
    if (chainID !== c.origin) throw new Error(`header is of chain ${JSON.stringify(chainID)}, the checkpoint of ${JSON.stringify(c.origin)}`);
    if (height !== c.height + 1n) throw new Error(`header is of height ${height}; a checkpoint at height ${c.height} is bound by header ${c.height + 1n}`);
    if (!eq(pbBytes(header, 11), want)) throw new Error(`checkpoint gives app hash ${hex(want)}, header ${height} carries ${hex(pbBytes(header, 11))}`);
    return `header ${height} carries app hash ${hex(want)}`;
  });
  const bid = pbFields(pbBytes(commit, 3)), psh = pbFields(pbBytes(bid, 2));
  const blockHash = pbBytes(bid, 1);
  await run(report, "header", async () => {
    const hh = await merkleRoot(headerHashFields(header));
    if (pbInt(commit, 1) !== height) throw new Error(`commit is for height ${pbInt(commit, 1)}, header is height ${height}`);
    if (!eq(hh, blockHash)) throw new Error(`header hashes to ${hex(hh).toUpperCase()} but the commit signs block ${hex(blockHash).toUpperCase()}`);
    return `commit signs header ${hex(hh).toUpperCase()}`;
  });
  await run(report, "signatures", async () => {
    const vals = new Map();
    let total = 0n;
    for (const m of members) {
      if (m.validatorKey.length !== 32 || m.power <= 0n || (m.status !== "" && m.status !== "active")) continue;
      const addr = hex((await sha256(m.validatorKey)).subarray(0, 20));
      vals.set(addr, m);
      total += m.power;
    }
    const round = pbI32(commit, 2), cheight = pbInt(commit, 1);
    let signed = 0n;
    const signers = [], problems = [], seen = new Set();
    const sigs = commit[4] || [];
    for (let i = 0; i < sigs.length; i++) {
      const s = pbFields(sigs[i]);
      if (pbInt(s, 1) !== 2n) continue; // only COMMIT votes count
      const addr = hex(pbBytes(s, 2)), v = vals.get(addr);
      if (!v || pbBytes(s, 2).length !== 20) { problems.push(`signature ${i} is by validator ${addr}, not in the member set`); continue; }
      if (seen.has(addr)) { problems.push(`signature ${i} repeats ${v.id}`); continue; }
      const msg = voteSignBytes(enc.encode(chainID), cheight, round, blockHash, pbU32(psh, 1), pbBytes(psh, 2), timestampOf(pbBytes(s, 3)));
      if (!(await ed25519Verify(v.validatorKey, msg, pbBytes(s, 4)))) { problems.push(`signature ${i} by ${v.id} does not verify`); continue; }
      seen.add(addr);
      signers.push(v.id);
      signed += v.power;
    }
    signers.sort();
    let msg = `${signed} of ${total} voting power signed (${signers.join(", ")}); more than 2/3 is needed`;
    if (problems.length) msg += "; not counted: " + problems.join("; ");
    if (!(total > 0n && 3n * signed > 2n * total)) throw new Error(msg);
    return msg;
  });
}

async function run(report, name, fn) {
  try { report(name, true, await fn()); } catch (e) { report(name, false, e.message); }
}

// verifyBundle runs every check and reports each (name, ok, detail).
export async function verifyBundle(text, rawMembers, report) {
  const members = membersOf(rawMembers);
  const b = parseBundle(text);
  const r = b.record || {};
  const rec = { index: r.index, height: r.height, timeUnixNano: r.time_unix_nano, txHash: unhex(r.tx_hash),
    author: r.author, objectID: r.object_id, modified: r.modified, object: unb64(r.object || ""),
    sealed: r.sealed ? unb64(r.sealed) : null };
  await run(report, "leaf", () => checkLeaf(b, rec));
  if (b.format === "phalanx-proof-bundle/v2") {
    const h = await checkAuthorV2(b, rec, members, report);
    await run(report, "tx_item", () => checkItem(b, rec, h));
  } else {
    await run(report, "author_signature", () => checkAuthor(b, rec, members));
  }
  const sc = b.checkpoint || {};
  let c;
  await run(report, "checkpoint", async () => {
    if (sc.format !== "phalanx-checkpoint/v1") throw new Error(`checkpoint format ${JSON.stringify(sc.format)}`);
    if (typeof sc.note !== "string" || sc.note.length > 4096) throw new Error("checkpoint note is missing or over 4096 bytes");
    const [cp, detail, bad] = await openCheckpoint(sc.note, members);
    c = cp;
    if (bad) throw new Error(bad);
    return detail;
  });
  if (!c) return;
  await run(report, "inclusion", async () => {
    const path = (b.inclusion || []).map(unhex);
    if (path.length > 64) throw new Error(`inclusion proof has ${path.length} hashes; at most 64`);
    const root = await inclusionRoot(BigInt(rec.index), c.size, unhex(b.leaf_hash), path);
    if (!eq(root, c.root)) throw new Error(`leaf ${rec.index} is not proven in the tree of size ${c.size}: the proof gives root ${hex(root)}, the checkpoint ${hex(c.root)}`);
    return `leaf ${rec.index} in tree of size ${c.size} with root ${hex(c.root)}`;
  });
  await bind(c, sc, members, report);
}

// ---- the page ----

function setUp() {
  const section = document.getElementById("verify");
  const btn = document.getElementById("verify-btn");
  const list = document.getElementById("verify-results");
  const summary = document.getElementById("verify-summary");
  const membersEl = document.getElementById("proof-members");
  if (!section || !btn || !list || !summary || !membersEl) return;
  btn.hidden = false;
  btn.addEventListener("click", async () => {
    btn.disabled = true;
    list.replaceChildren();
    summary.textContent = "Verifying…";
    summary.removeAttribute("data-ok");
    const results = [];
    const report = (name, ok, detail) => {
      results.push(ok);
      const li = document.createElement("li");
      li.className = ok ? "ok" : "fail";
      li.dataset.check = name;
      li.dataset.ok = String(ok);
      const strong = document.createElement("strong");
      strong.textContent = name;
      li.append(strong, `: ${ok ? "ok" : "FAIL"} — ${detail}`);
      list.append(li);
    };
    try {
      if (!window.isSecureContext || !crypto.subtle) throw new Error("WebCrypto needs a secure context: open the UI over HTTPS (or on localhost)");
      const res = await fetch(section.dataset.bundle, { credentials: "same-origin", cache: "no-store" });
      if (!res.ok) throw new Error(`fetching the bundle: HTTP ${res.status}`);
      await verifyBundle(await res.text(), JSON.parse(membersEl.textContent), report);
    } catch (e) {
      report("bundle", false, e.message);
    }
    const ok = results.length >= 7 && results.every(Boolean);
    summary.dataset.ok = String(ok);
    summary.textContent = ok
      ? `Verified in your browser: all ${results.length} checks pass.`
      : `Not verified: ${results.filter((x) => !x).length} of ${results.length} checks fail.`;
    btn.disabled = false;
  });
}

if (typeof document !== "undefined") setUp();
