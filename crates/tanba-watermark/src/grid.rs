//! The tile seen from the working grid: folding a residual plane onto one
//! tile, the sync correlation over every offset, and the soft bits at one
//! offset. Embedding uses the same functions to check what it wrote.

use crate::pattern::{CODED_BITS, Pattern, TILE};
use crate::resample::Plane;

/// Sum of every tile of `p`, cell by cell (`TILE * TILE`, row-major). The
/// mark repeats with period `TILE`, so it adds up coherently while the
/// picture's own residual adds up as noise.
pub(crate) fn fold(p: &Plane) -> Vec<f32> {
    let mut acc = vec![0.0f32; TILE * TILE];
    for (y, row) in p.data.chunks_exact(p.w.max(1)).enumerate() {
        let base = (y % TILE) * TILE;
        for (x, v) in row.iter().enumerate() {
            acc[base + x % TILE] += v;
        }
    }
    acc
}

/// [`fold`] of the rows of `p` that `rows` marks; `None` unless they
/// cover every row of the tile (every cell is then summed at least once).
pub(crate) fn fold_rows(p: &Plane, rows: &[bool]) -> Option<Vec<f32>> {
    let mut acc = vec![0.0f32; TILE * TILE];
    let mut seen = [false; TILE];
    let kept = p.data.chunks_exact(p.w.max(1)).enumerate();
    for (y, row) in kept.filter(|(y, _)| rows.get(*y).copied().unwrap_or(false)) {
        seen[y % TILE] = true;
        let base = (y % TILE) * TILE;
        for (x, v) in row.iter().enumerate() {
            acc[base + x % TILE] += v;
        }
    }
    seen.iter().all(|&s| s).then_some(acc)
}

/// Correlation of the folded tile with the sync pattern for every offset
/// `(dx, dy)` (index `dy * TILE + dx`): cell `(x, y)` of the fold holds tile
/// cell `((x + dx) % TILE, (y + dy) % TILE)` of the mark. Separable, so it
/// costs `2 * TILE^3` rather than `TILE^4`.
pub(crate) fn sync_surface(fold: &[f32], pat: &Pattern) -> Vec<f32> {
    let mut by_row = vec![0.0f32; TILE * TILE]; // [y][dx]
    for y in 0..TILE {
        for dx in 0..TILE {
            by_row[y * TILE + dx] = (0..TILE)
                .map(|x| fold[y * TILE + x] * pat.u[(x + dx) % TILE])
                .sum();
        }
    }
    let mut out = vec![0.0f32; TILE * TILE];
    for dy in 0..TILE {
        for dx in 0..TILE {
            out[dy * TILE + dx] = (0..TILE)
                .map(|y| by_row[y * TILE + dx] * pat.v[(y + dy) % TILE])
                .sum();
        }
    }
    out
}

/// The best offset of a sync surface and its z-score against the others.
pub(crate) fn peak(surface: &[f32]) -> (usize, usize, f32) {
    let n = surface.len() as f32;
    let mean = surface.iter().sum::<f32>() / n;
    let var = surface.iter().map(|s| (s - mean) * (s - mean)).sum::<f32>() / n;
    let (best, value) =
        surface.iter().enumerate().fold(
            (0, f32::MIN),
            |acc, (i, &s)| if s > acc.1 { (i, s) } else { acc },
        );
    let z = if var > 0.0 {
        (value - mean) / var.sqrt()
    } else {
        0.0
    };
    (best % TILE, best / TILE, z)
}

/// Soft value of every coded bit at offset `(dx, dy)`: positive means 1.
pub(crate) fn soft_bits(fold: &[f32], pat: &Pattern, dx: usize, dy: usize) -> [f32; CODED_BITS] {
    let mut soft = [0.0f32; CODED_BITS];
    for (cell, &(bit, sign)) in pat.cells.iter().enumerate() {
        let (cx, cy) = (cell % TILE, cell / TILE);
        let x = (cx + TILE - dx) % TILE;
        let y = (cy + TILE - dy) % TILE;
        soft[bit] += sign * fold[y * TILE + x];
    }
    soft
}

/// The mark on a `w` x `h` working grid, anchored at its top-left corner:
/// `sync * u(x) v(y) + amps[bit] * sign * bits[bit]` in every cell.
pub(crate) fn mark_plane(
    w: usize,
    h: usize,
    pat: &Pattern,
    bits: &[f32; CODED_BITS],
    sync: f32,
    amps: &[f32; CODED_BITS],
) -> Plane {
    let tile: Vec<f32> = pat
        .cells
        .iter()
        .enumerate()
        .map(|(cell, &(bit, sign))| {
            let (cx, cy) = (cell % TILE, cell / TILE);
            sync * pat.u[cx] * pat.v[cy] + amps[bit] * sign * bits[bit]
        })
        .collect();
    let mut data = Vec::with_capacity(w * h);
    for y in 0..h {
        let row = &tile[(y % TILE) * TILE..(y % TILE + 1) * TILE];
        data.extend((0..w).map(|x| row[x % TILE]));
    }
    Plane { w, h, data }
}
