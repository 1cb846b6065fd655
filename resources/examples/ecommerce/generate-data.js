#!/usr/bin/env node
// Deterministic sample-data generator for the Caudal e-commerce example.
//
//   node resources/examples/ecommerce/generate-data.js [--orders N] [--out DIR] [--seed S]
//
// Writes customers.csv, products.csv and orders.csv (UTF-8, comma-delimited,
// header row, RFC-4180 quoting). The same seed and size always produce
// byte-identical files. The data is deliberately a little dirty (mixed case,
// stray whitespace, lowercase country codes, inconsistent status spellings,
// missing discounts) so that the example pipeline's cleaning steps have work
// to do.
//
// Plain ESM JavaScript with no dependencies beyond Node's standard library.

import { createWriteStream, realpathSync } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

export const DEFAULT_ORDERS = 20_000;
export const DEFAULT_SEED = 42;
export const DEFAULT_OUT_DIR = fileURLToPath(new URL('./data/', import.meta.url));

/** Bytes per chunk handed to the write stream. */
const CHUNK_BYTES = 2 * 1024 * 1024;
/** A chunk is flushed once fewer than this many bytes are free (longest row is far shorter). */
const ROW_RESERVE = 4096;
const STREAM_HIGH_WATER = 4 * 1024 * 1024;

// ---------------------------------------------------------------------------
// Seeded PRNG
// ---------------------------------------------------------------------------

/** mulberry32: tiny, fast 32-bit PRNG. Returns floats in [0, 1). */
function mulberry32(seed) {
  let a = seed >>> 0;
  return function next() {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Mixes the user seed with a per-file salt so each file has its own stream. */
function deriveSeed(seed, salt) {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  for (let i = 0; i < salt.length; i++) {
    h = Math.imul(h ^ salt.charCodeAt(i), 0x01000193) >>> 0;
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}

/** Accepts an integer seed; any other string is hashed (FNV-1a) to 32 bits. */
function normalizeSeed(seed) {
  if (typeof seed === 'number' && Number.isInteger(seed)) return seed >>> 0;
  const s = String(seed ?? DEFAULT_SEED).trim();
  if (/^-?\d+$/.test(s)) return Number(BigInt.asUintN(32, BigInt(s)));
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h >>> 0;
}

const pick = (rand, arr) => arr[Math.floor(rand() * arr.length)];
const intBetween = (rand, lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));

/** Expands [[value, weight], ...] (integer weights) into a flat lookup table. */
function weightedTable(entries) {
  const out = [];
  for (const [value, weight] of entries) for (let i = 0; i < weight; i++) out.push(value);
  return out;
}

// ---------------------------------------------------------------------------
// CSV helpers
// ---------------------------------------------------------------------------

/** RFC-4180: quote when the value contains a comma, quote, CR or LF. */
function csvField(value) {
  if (value === null || value === undefined) return '';
  const s = String(value);
  if (/[",\r\n]/.test(s)) return '"' + s.replace(/"/g, '""') + '"';
  return s;
}

const pad2 = (n) => (n < 10 ? '0' + n : String(n));

/** ['YYYY-MM-DD', ...] for every day in [start, end] (inclusive, UTC). */
function dateRange(start, end) {
  const out = [];
  const days = [];
  const t0 = Date.UTC(...start);
  const t1 = Date.UTC(...end);
  for (let t = t0; t <= t1; t += 86_400_000) {
    const d = new Date(t);
    out.push(`${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}`);
    days.push(d);
  }
  return { strings: out, dates: days };
}

const COMMA = 0x2c;
const NEWLINE = 0x0a;
const ascii = (s) => Buffer.from(s, 'latin1');

/**
 * Appends CSV bytes straight into a fixed-size Buffer (no per-row strings, so
 * almost no garbage even for 10M rows). Callers write one row, then check
 * `w.full` and `await w.flush()`; the filled chunk is handed to the file stream
 * and a fresh Buffer is started, awaiting 'drain' on backpressure. At most a
 * couple of chunks plus the stream's high-water mark are in memory at once.
 */
class ChunkWriter {
  constructor(stream, getError) {
    this.stream = stream;
    this.getError = getError;
    this.spare = []; // chunks the stream has finished with, reused to bound memory
    this.buf = Buffer.allocUnsafe(CHUNK_BYTES);
    this.pos = 0;
  }

  get full() {
    return this.pos > CHUNK_BYTES - ROW_RESERVE;
  }

  async flush() {
    const err = this.getError();
    if (err) throw err;
    if (this.pos === 0) return;
    const full = this.buf;
    const chunk = full.subarray(0, this.pos);
    this.buf = this.spare.pop() ?? Buffer.allocUnsafe(CHUNK_BYTES);
    this.pos = 0;
    const ok = this.stream.write(chunk, (err) => { if (!err) this.spare.push(full); });
    if (!ok) await once(this.stream, 'drain');
  }

  /** Any (UTF-8) string; must fit in ROW_RESERVE. */
  str(s) {
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  /** Pre-encoded bytes (short: a loop beats Buffer#set here). */
  bytes(b) {
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < b.length; i++) buf[p++] = b[i];
    this.pos = p;
  }

  byte(c) {
    this.buf[this.pos++] = c;
  }

  /** Non-negative integer in decimal. */
  int(n) {
    const buf = this.buf;
    let digits = 1;
    for (let t = n; t >= 10; t = Math.floor(t / 10)) digits++;
    let p = this.pos + digits;
    this.pos = p;
    do {
      const q = Math.floor(n / 10);
      buf[--p] = 48 + (n - q * 10);
      n = q;
    } while (n > 0);
  }
}

/**
 * Streams a CSV file: output goes to `<file>.tmp`, which is renamed over
 * `<file>` only after everything was written and the descriptor closed, so an
 * interrupted run never leaves a truncated file under the final name.
 */
async function writeCsv(filePath, header, totalRows, produceRows) {
  const tmpPath = filePath + '.tmp';
  const stream = createWriteStream(tmpPath, { highWaterMark: STREAM_HIGH_WATER });
  let failed = null;
  stream.on('error', (err) => { failed ??= err; });
  await once(stream, 'open');

  const writer = new ChunkWriter(stream, () => failed);
  writer.str(header + '\n');

  try {
    await produceRows(writer);
    await writer.flush();
    // 'close' follows 'finish' once the descriptor is closed (autoClose), so the
    // data is fully handed to the OS before the rename makes the file visible.
    const closed = once(stream, 'close');
    stream.end();
    await closed;
    if (failed) throw failed;
    await rename(tmpPath, filePath);
  } catch (err) {
    stream.destroy();
    await rm(tmpPath, { force: true });
    throw err;
  }
  const { size } = await stat(filePath);
  return { path: filePath, rows: totalRows, bytes: size };
}

// ---------------------------------------------------------------------------
// Reference data
// ---------------------------------------------------------------------------

// ISO-2 country code -> [first names, last names]. Weights are percentages.
const COUNTRIES = [
  ['US', 24, ['James', 'Mary', 'Olivia', 'Liam', 'Emma', 'Noah', 'Ava', 'William', 'Sophia', 'Ethan', 'Madison', 'Tyler'],
    ['Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Miller', 'Davis', "O'Brien", 'Taylor', 'Wilson', 'Anderson', 'McAllister']],
  ['GB', 10, ['Oliver', 'Amelia', 'Harry', 'Isla', 'George', 'Chloë', 'Freddie', 'Poppy', 'Arthur', 'Imogen'],
    ['Clarke', 'Evans', 'Hughes', 'Wright', 'Walker', 'Robinson', 'Thompson', 'Fitzgerald', 'Ashworth', "O'Neill"]],
  ['DE', 12, ['Lukas', 'Anna', 'Jürgen', 'Sören', 'Lena', 'Maximilian', 'Günter', 'Käthe', 'Jörg', 'Leonie'],
    ['Müller', 'Schmidt', 'Schröder', 'Weiß', 'Fischer', 'Köhler', 'Becker', 'Hoffmann', 'Groß', 'Krüger']],
  ['FR', 10, ['Élodie', 'François', 'Chloé', 'Hélène', 'Jérôme', 'Léa', 'Noël', 'Zoë', 'Gaëlle', 'Théo'],
    ['Dubois', 'Lefèvre', 'Moreau', 'Girard', 'Bérenger', 'Faure', 'Rousseau', 'Lemaître', 'Côté', 'Garçon']],
  ['ES', 7, ['José', 'María', 'Sofía', 'Íñigo', 'Lucía', 'Andrés', 'Martín', 'Begoña', 'Álvaro', 'Inés'],
    ['Muñoz', 'García', 'Pérez', 'Núñez', 'Fernández', 'López', 'Ibáñez', 'Gómez', 'Martínez', 'Ruiz']],
  ['MX', 5, ['José', 'Guadalupe', 'Ximena', 'Santiago', 'Valentina', 'Ramón', 'Sebastián', 'Camila', 'Jesús', 'Renata'],
    ['Hernández', 'González', 'Rodríguez', 'Muñoz', 'Sánchez', 'Ramírez', 'Cruz', 'Peña', 'Ortíz', 'Vázquez']],
  ['IT', 7, ['Giulia', 'Niccolò', 'Lorenzo', 'Chiara', 'Matteo', 'Francesca', 'Gianluca', 'Aurora', 'Nicolò', 'Elisa'],
    ['Rossi', 'Bianchi', 'Esposito', 'Colombo', 'Ricci', 'De Luca', "D'Angelo", 'Romano', 'Fabbri', 'Galli']],
  ['NL', 5, ['Daan', 'Sanne', 'Thijs', 'Fleur', 'Bram', 'Anouk', 'Joël', 'Noëlle', 'Sem', 'Lotte'],
    ['de Vries', 'van den Berg', 'Jansen', 'Bakker', 'Visser', 'van Dijk', 'Smit', 'de Boer', 'Mulder', "van 't Hof"]],
  ['SE', 5, ['Björn', 'Zoë', 'Åsa', 'Linnéa', 'Oskar', 'Märta', 'Göran', 'Elsa', 'Sören', 'Ebba'],
    ['Ångström', 'Lindqvist', 'Söderberg', 'Johansson', 'Nyström', 'Åberg', 'Björklund', 'Öberg', 'Sjöström', 'Lundgren']],
  ['NO', 4, ['Øyvind', 'Ingrid', 'Sølvi', 'Håkon', 'Kari', 'Magnus', 'Björn', 'Astrid', 'Bjørn', 'Tove'],
    ['Ødegaard', 'Haugen', 'Sørensen', 'Bråthen', 'Kristiansen', 'Løkken', 'Ørnes', 'Dahl', 'Solberg', 'Aasen']],
  ['BR', 7, ['João', 'Ana', 'Luíza', 'Sebastião', 'Gabriel', 'Letícia', 'Vitória', 'Caio', 'Tânia', 'Júlio'],
    ['Silva', 'Conceição', 'Araújo', 'Gonçalves', 'Magalhães', 'Brandão', 'Souza', 'Lima', 'Simões', 'Falcão']],
  ['PL', 4, ['Łukasz', 'Zofia', 'Małgorzata', 'Paweł', 'Agnieszka', 'Wojciech', 'Michał', 'Jolanta', 'Grzegorz', 'Żaneta'],
    ['Kowalski', 'Wiśniewska', 'Wójcik', 'Lewandowski', 'Zieliński', 'Dąbrowska', 'Kamiński', 'Szymańska', 'Woźniak', 'Kaczmarek']],
].map(([code, weight, first, last]) => ({ code, weight, first, last }));

const COUNTRY_TABLE = weightedTable(COUNTRIES.map((c) => [c, c.weight]));
const EMAIL_DOMAINS = ['example.com', 'example.org', 'example.net', 'mail.example.com', 'shop.example'];

/** ASCII local-part for an e-mail address: "Muñoz" -> "munoz", "de Vries" -> "devries". */
const slugCache = new Map();
function asciiSlug(s) {
  let slug = slugCache.get(s);
  if (slug === undefined) {
    slug = computeSlug(s);
    slugCache.set(s, slug);
  }
  return slug;
}
function computeSlug(s) {
  return s
    .replace(/ß/g, 'ss').replace(/[Øø]/g, 'o').replace(/[Łł]/g, 'l')
    .replace(/[Ææ]/g, 'ae').replace(/[Đđ]/g, 'd')
    .normalize('NFD').replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '');
}

/** "jOSÉ mUÑOZ"-style mixed case. */
function mixedCase(rand, s) {
  let out = '';
  for (const ch of s) out += rand() < 0.5 ? ch.toUpperCase() : ch.toLowerCase();
  return out;
}

const CATEGORIES = [
  { name: 'Electronics', min: 9.99, max: 999.99, weight: 18,
    adjectives: ['Wireless', 'Smart', 'Portable', 'Noise-Cancelling', 'Bluetooth', 'Compact', '4K', 'Rechargeable'],
    nouns: ['Headphones', 'Speaker', 'Monitor', 'Keyboard', 'Mouse', 'Webcam', 'Charger', 'Smartwatch', 'Tablet', 'Router'] },
  { name: 'Books', min: 4.99, max: 89.99, weight: 14,
    adjectives: ['Illustrated', 'Complete', 'Pocket', 'Annotated', 'Practical', 'Essential', 'Hardcover', 'Unabridged'],
    nouns: ['Guide to SQL', 'Cookbook', 'Atlas', 'Novel', 'History of Rome', 'Field Guide', 'Poetry Collection', 'Data Engineering Handbook'] },
  { name: 'Home & Kitchen', min: 3.49, max: 449.99, weight: 14,
    adjectives: ['Stainless', 'Non-Stick', 'Ceramic', 'Bamboo', 'Cast Iron', 'Glass', 'Insulated', 'Stackable'],
    nouns: ['Frying Pan', 'Kettle', 'Knife Set', 'Cutting Board', 'Mixing Bowls', 'French Press', 'Storage Jars', 'Skillet'] },
  { name: 'Clothing', min: 4.99, max: 249.99, weight: 14,
    adjectives: ['Organic Cotton', 'Merino', 'Slim-Fit', 'Waterproof', 'Linen', 'Vintage', 'Oversized', 'Classic'],
    nouns: ['T-Shirt', 'Hoodie', 'Jeans', 'Rain Jacket', 'Sneakers', 'Scarf', 'Socks (3-Pack)', 'Dress'] },
  { name: 'Sports & Outdoors', min: 5.99, max: 799.99, weight: 10,
    adjectives: ['Ultralight', 'Adjustable', 'Foldable', 'Trail', 'Pro', 'All-Weather', 'Carbon', 'Insulated'],
    nouns: ['Tent', 'Yoga Mat', 'Dumbbells', 'Backpack', 'Water Bottle', 'Bike Helmet', 'Trekking Poles', 'Sleeping Bag'] },
  { name: 'Toys & Games', min: 2.99, max: 199.99, weight: 10,
    adjectives: ['Wooden', 'Magnetic', 'Educational', 'Deluxe', 'Glow-in-the-Dark', 'Classic', 'Travel', 'Giant'],
    nouns: ['Puzzle', 'Building Blocks', 'Board Game', 'Card Game', 'Train Set', 'Plush Bear', 'Kite', 'Chess Set'] },
  { name: 'Beauty', min: 1.99, max: 149.99, weight: 10,
    adjectives: ['Hydrating', 'Vegan', 'Fragrance-Free', 'Organic', 'Revitalizing', 'Mineral', 'Gentle', 'Travel-Size'],
    nouns: ['Face Cream', 'Shampoo', 'Lip Balm', 'Sunscreen SPF 50', 'Body Lotion', 'Serum', 'Hand Soap', 'Face Mask'] },
  { name: 'Grocery', min: 1.0, max: 59.99, weight: 10,
    adjectives: ['Organic', 'Fair-Trade', 'Gluten-Free', 'Extra Virgin', 'Wildflower', 'Roasted', 'Sea-Salt', 'Dark'],
    nouns: ['Coffee Beans', 'Olive Oil', 'Honey', 'Green Tea', 'Almonds', 'Chocolate Bar', 'Pasta', 'Granola'] },
];
const CATEGORY_TABLE = weightedTable(CATEGORIES.map((c) => [c, c.weight]));

// Names containing commas / double quotes, to exercise RFC-4180 quoting.
const AWKWARD_PRODUCT_NAMES = {
  'Books': ['Data, Pipelines & You', 'Salt, Fat, Acid, Heat', 'The "Quick" Guide to DuckDB', 'Murder, She Wrote: Box Set'],
  'Electronics': ['27" 4K Monitor', '13" Laptop Sleeve, Grey', 'USB-C Cable, 2 m'],
  'Home & Kitchen': ['12" Cast Iron Skillet', 'Knife Block, 6 Pieces'],
  'Clothing': ['Socks, Wool, 5-Pack', 'Jeans 32" Inseam'],
  'Sports & Outdoors': ['Yoga Mat, 6 mm', '29" Mountain Bike Tyre'],
  'Toys & Games': ['Puzzle, 1000 Pieces', 'Kite, "Dragon" Edition'],
  'Beauty': ['Shampoo, 500 ml', 'Lip Balm, 3 Flavours'],
  'Grocery': ['Coffee, Whole Bean, 1 kg', 'Tea "Earl Grey", 50 Bags'],
};

// orders.status — deliberately inconsistent case/whitespace; ~70% completed/shipped.
const STATUS_TABLE = weightedTable([
  [' Completed', 25], ['completed', 25], ['SHIPPED ', 20],
  ['pending', 12], ['cancelled', 10], ['returned', 8],
]);
const CHANNEL_TABLE = weightedTable([['web', 55], ['mobile', 35], ['store', 10]]);
const QUANTITY_TABLE = weightedTable([
  ['1', 38], ['2', 24], ['3', 13], ['4', 8], ['5', 6], ['6', 4], ['7', 3], ['8', 2], ['9', 1], ['10', 1],
]);
const DISCOUNT_STRINGS = Array.from({ length: 31 }, (_, i) => (i / 100).toFixed(2)); // "0.00".."0.30"
const ROUND_DISCOUNTS = ['0.05', '0.10', '0.15', '0.20', '0.25', '0.30'];

// ---------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------

async function writeCustomers(filePath, count, seed, progress) {
  const rand = mulberry32(deriveSeed(seed, 'customers'));
  const signupDays = dateRange([2019, 0, 1], [2025, 11, 31]).strings;
  return writeCsv(filePath, 'customer_id,name,email,country,signup_date', count, async (w) => {
    for (let id = 1; id <= count; id++) {
      const home = pick(rand, COUNTRY_TABLE);
      // ~15% of customers have a name from another country's pool.
      const namePool = rand() < 0.15 ? pick(rand, COUNTRY_TABLE) : home;
      const first = pick(rand, namePool.first);
      const last = pick(rand, namePool.last);

      // E-mail (derived from the clean name parts, unique thanks to the id).
      const f = asciiSlug(first);
      const l = asciiSlug(last);
      const domain = pick(rand, EMAIL_DOMAINS);
      const style = rand();
      let email =
        style < 0.5 ? `${f}.${l}${id}@${domain}`
        : style < 0.75 ? `${f[0]}${l}${id}@${domain}`
        : style < 0.9 ? `${f}_${l}${id}@${domain}`
        : `${l}.${f}${id}@${domain}`;
      const emailNoise = rand();
      if (emailNoise < 0.04) email = email[0].toUpperCase() + email.slice(1);
      else if (emailNoise < 0.06) email = email.toUpperCase();
      else if (emailNoise < 0.08) email = email.replace(/@.*/, (d) => d.toUpperCase());
      const emailPad = rand();
      if (emailPad < 0.03) email = ' ' + email;
      else if (emailPad < 0.06) email = email + ' ';
      else if (emailPad < 0.07) email = '  ' + email + ' ';

      // Display name: mostly "First Last", sometimes "Last, First" or with a nickname.
      const form = rand();
      let name =
        form < 0.02 ? `${last}, ${first}`
        : form < 0.025 ? `${first} "${first.slice(0, 3)}" ${last}`
        : form < 0.04 ? `${first}  ${last}`
        : `${first} ${last}`;
      const casing = rand();
      if (casing < 0.08) name = name.toUpperCase();
      else if (casing < 0.15) name = name.toLowerCase();
      else if (casing < 0.19) name = mixedCase(rand, name);
      const pad = rand();
      if (pad < 0.04) name = ' ' + name;
      else if (pad < 0.08) name = name + '  ';
      else if (pad < 0.10) name = '  ' + name + ' ';

      const country = rand() < 0.06 ? home.code.toLowerCase() : home.code;
      const signup = pick(rand, signupDays);

      w.str(`${id},${csvField(name)},${csvField(email)},${country},${signup}\n`);
      if (w.full) await w.flush();
      if (id % 1_000_000 === 0) progress('customers', id, count);
    }
  });
}

async function writeProducts(filePath, count, seed, progress) {
  const rand = mulberry32(deriveSeed(seed, 'products'));
  return writeCsv(filePath, 'product_id,product_name,category,unit_price', count, async (w) => {
    for (let id = 1; id <= count; id++) {
      const cat = pick(rand, CATEGORY_TABLE);
      let name;
      if (rand() < 0.04) {
        name = pick(rand, AWKWARD_PRODUCT_NAMES[cat.name]);
      } else {
        name = `${pick(rand, cat.adjectives)} ${pick(rand, cat.nouns)}`;
        const variant = rand();
        if (variant < 0.4) name += ` ${String.fromCharCode(65 + intBetween(rand, 0, 25))}${intBetween(rand, 1, 9) * 100}`;
        else if (variant < 0.6) name += ` - ${pick(rand, ['Black', 'White', 'Blue', 'Red', 'Green', 'Grey', 'Large', 'Small'])}`;
      }
      // Log-uniform price within the category's range; most prices end in .99/.49.
      const raw = Math.exp(Math.log(cat.min) + rand() * (Math.log(cat.max) - Math.log(cat.min)));
      const ending = rand();
      let cents =
        ending < 0.55 ? Math.floor(raw) * 100 + 99
        : ending < 0.7 ? Math.floor(raw) * 100 + 49
        : Math.round(raw * 100);
      cents = Math.min(99_999, Math.max(100, cents));
      const price = `${Math.floor(cents / 100)}.${pad2(cents % 100)}`;

      w.str(`${id},${csvField(name)},${csvField(cat.name)},${price}\n`);
      if (w.full) await w.flush();
      if (id % 1_000_000 === 0) progress('products', id, count);
    }
  });
}

/**
 * Per-day cumulative order share for 2024-01-01..2025-12-31: growth over time,
 * busier weekends, a November/December peak and a quiet early January.
 */
function orderDayCdf(dates) {
  const weights = dates.map((d, i) => {
    const month = d.getUTCMonth();
    const day = d.getUTCDate();
    const dow = d.getUTCDay();
    let w = 1 + 0.35 * (i / dates.length); // business grows ~35% over two years
    if (dow === 0 || dow === 6) w *= 1.2;
    if (month === 10) w *= day >= 24 ? 2.2 : 1.3; // Black Friday week
    if (month === 11) w *= day <= 22 ? 1.7 : 0.8;
    if (month === 0 && day <= 10) w *= 0.7;
    return w;
  });
  const total = weights.reduce((a, b) => a + b, 0);
  const cdf = new Float64Array(weights.length);
  let acc = 0;
  for (let i = 0; i < weights.length; i++) {
    acc += weights[i];
    cdf[i] = acc / total;
  }
  cdf[cdf.length - 1] = 1;
  return cdf;
}

async function writeOrders(filePath, count, customers, products, seed, progress) {
  const rand = mulberry32(deriveSeed(seed, 'orders'));
  const { strings: days, dates } = dateRange([2024, 0, 1], [2025, 11, 31]);
  const cdf = orderDayCdf(dates);
  const lastDay = days.length - 1;
  // Skew: 30% of orders come from the 10% most loyal customers, 40% of orders
  // go to the 10% most popular products.
  const loyal = Math.max(1, Math.floor(customers / 10));
  const popular = Math.max(1, Math.floor(products / 10));

  // Pre-encoded byte sequences for every categorical value.
  const dayBytes = days.map(ascii);
  const qtyBytes = QUANTITY_TABLE.map(ascii);
  const statusBytes = STATUS_TABLE.map(ascii);
  const channelBytes = CHANNEL_TABLE.map(ascii);
  const nullDiscount = ascii('');
  const zeroDiscount = ascii('0.00');
  const roundDiscounts = ROUND_DISCOUNTS.map(ascii);
  const anyDiscounts = DISCOUNT_STRINGS.map(ascii);

  return writeCsv(filePath, 'order_id,customer_id,product_id,quantity,order_date,status,discount,channel', count, async (w) => {
    let day = 0;
    for (let id = 1; id <= count; id++) {
      // Dates ascend with order_id following the seasonal CDF, with a little jitter.
      const frac = (id - 0.5) / count;
      while (day < lastDay && cdf[day] < frac) day++;
      let d = day;
      const j = rand();
      if (j < 0.1) d = d > 0 ? d - 1 : d;
      else if (j < 0.2) d = d < lastDay ? d + 1 : d;

      const cr = rand();
      const customer = cr < 0.3
        ? 1 + Math.floor((cr / 0.3) * loyal)
        : 1 + Math.floor(((cr - 0.3) / 0.7) * customers);
      const pr = rand();
      const product = pr < 0.4
        ? 1 + Math.floor((pr / 0.4) * popular)
        : 1 + Math.floor(((pr - 0.4) / 0.6) * products);

      const qty = qtyBytes[Math.floor(rand() * qtyBytes.length)];
      const status = statusBytes[Math.floor(rand() * statusBytes.length)];
      const dr = rand();
      const discount = dr < 0.1 ? nullDiscount
        : dr < 0.55 ? zeroDiscount
        : dr < 0.85 ? roundDiscounts[Math.floor(((dr - 0.55) / 0.3) * roundDiscounts.length)]
        : anyDiscounts[1 + Math.floor(((dr - 0.85) / 0.15) * 30)];
      const channel = channelBytes[Math.floor(rand() * channelBytes.length)];

      w.int(id); w.byte(COMMA);
      w.int(customer); w.byte(COMMA);
      w.int(product); w.byte(COMMA);
      w.bytes(qty); w.byte(COMMA);
      w.bytes(dayBytes[d]); w.byte(COMMA);
      w.bytes(status); w.byte(COMMA);
      w.bytes(discount); w.byte(COMMA);
      w.bytes(channel); w.byte(NEWLINE);

      if (w.full) await w.flush();
      if (id % 1_000_000 === 0) progress('orders', id, count);
    }
  });
}

// ---------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------

/**
 * Generates customers.csv, products.csv and orders.csv into `outDir`.
 *
 * @param {object} [options]
 * @param {number} [options.orders=20000] number of order rows (>= 1)
 * @param {string|URL} [options.outDir] output folder (created if missing); defaults to ./data/ next to this script
 * @param {number|string} [options.seed=42] PRNG seed; same seed + size => byte-identical files
 * @param {(p: {file: 'customers'|'products'|'orders', rows: number, total: number}) => void} [options.onProgress]
 *        called every 1,000,000 rows written to a file
 * @returns {Promise<{files: {customers: string, products: string, orders: string},
 *                    rows: {customers: number, products: number, orders: number},
 *                    bytes: number}>} absolute file paths, row counts (excluding header), total bytes
 */
export async function generateEcommerceData({
  orders = DEFAULT_ORDERS,
  outDir = DEFAULT_OUT_DIR,
  seed = DEFAULT_SEED,
  onProgress,
} = {}) {
  if (!Number.isSafeInteger(orders) || orders < 1) {
    throw new RangeError(`orders must be a positive integer, got ${orders}`);
  }
  const dir = outDir instanceof URL ? fileURLToPath(outDir) : resolve(String(outDir));
  const s = normalizeSeed(seed);
  const customers = Math.max(100, Math.floor(orders / 20));
  const products = Math.max(50, Math.min(5000, Math.floor(orders / 200)));
  const progress = (file, rows, total) => onProgress?.({ file, rows, total });

  await mkdir(dir, { recursive: true });
  const c = await writeCustomers(resolve(dir, 'customers.csv'), customers, s, progress);
  const p = await writeProducts(resolve(dir, 'products.csv'), products, s, progress);
  const o = await writeOrders(resolve(dir, 'orders.csv'), orders, customers, products, s, progress);

  return {
    files: { customers: c.path, products: p.path, orders: o.path },
    rows: { customers: c.rows, products: p.rows, orders: o.rows },
    bytes: c.bytes + p.bytes + o.bytes,
  };
}

// ---------------------------------------------------------------------------
// CLI
// ---------------------------------------------------------------------------

const USAGE = `Usage: node generate-data.js [--orders N] [--out DIR] [--seed S]

  --orders N   number of orders to generate (default ${DEFAULT_ORDERS}; "1e6" and "10_000_000" accepted)
  --out DIR    output folder (default: ./data/ next to this script)
  --seed S     PRNG seed (default ${DEFAULT_SEED})
`;

function parseCount(text) {
  const n = Number(String(text).replace(/_/g, ''));
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`--orders must be a positive integer, got "${text}"`);
  return n;
}

const fmtInt = (n) => n.toLocaleString('en-US');
function fmtBytes(n) {
  if (n >= 1024 ** 3) return (n / 1024 ** 3).toFixed(2) + ' GiB';
  if (n >= 1024 ** 2) return (n / 1024 ** 2).toFixed(1) + ' MiB';
  if (n >= 1024) return (n / 1024).toFixed(1) + ' KiB';
  return n + ' B';
}

async function main(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      orders: { type: 'string' },
      out: { type: 'string' },
      seed: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const orders = values.orders === undefined ? DEFAULT_ORDERS : parseCount(values.orders);
  const outDir = values.out === undefined ? DEFAULT_OUT_DIR : resolve(values.out);
  const seed = values.seed ?? DEFAULT_SEED;

  const started = process.hrtime.bigint();
  const elapsed = () => (Number(process.hrtime.bigint() - started) / 1e9).toFixed(1) + 's';
  const result = await generateEcommerceData({
    orders,
    outDir,
    seed,
    onProgress: ({ file, rows, total }) => {
      process.stderr.write(`  ${file}: ${fmtInt(rows)} / ${fmtInt(total)} rows (${elapsed()})\n`);
    },
  });

  const lines = [`Wrote e-commerce sample data to ${outDir} in ${elapsed()} (seed ${seed})`];
  for (const key of ['customers', 'products', 'orders']) {
    const { size } = await stat(result.files[key]);
    lines.push(`  ${(key + '.csv').padEnd(14)} ${fmtInt(result.rows[key]).padStart(12)} rows  ${fmtBytes(size).padStart(10)}`);
  }
  lines.push(`  ${'total'.padEnd(14)} ${''.padStart(12)}       ${fmtBytes(result.bytes).padStart(10)}`);
  process.stdout.write(lines.join('\n') + '\n');
}

function isMainModule() {
  if (!process.argv[1]) return false;
  try {
    return pathToFileURL(realpathSync(process.argv[1])).href === pathToFileURL(realpathSync(fileURLToPath(import.meta.url))).href;
  } catch {
    return false;
  }
}

if (isMainModule()) {
  main(process.argv.slice(2)).catch((err) => {
    process.stderr.write(`generate-data: ${err?.message ?? err}\n`);
    process.exitCode = 1;
  });
}
