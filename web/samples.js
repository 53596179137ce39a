// The demo pages' samples: web/samples.json (written from the data folder by the test command),
// else the built-in ones. `pick(json)` turns a file into what the page lists (an array or an
// object); the first file that gives anything is used.
export async function loadSamples(pick) {
  for (const name of ['samples.json', 'samples-builtin.json']) {
    try {
      const r = await fetch(new URL(name, import.meta.url));
      if (!r.ok) continue;
      const items = pick(await r.json());
      if (Object.keys(items).length) return items;
    } catch { /* the next file */ }
  }
  return pick({});
}
