//! Per-path random streams: path `i` of seed `s` always draws the same numbers, whatever the
//! thread count or chunking.

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

/// The generator, named for the run metadata (`StdRng` is not portable across rand versions).
pub const GENERATOR: &str =
    "Xoshiro256++ (rand_xoshiro 0.8), seeded per path by SplitMix64(seed, path index)";

/// SplitMix64 finaliser: a bijective 64-bit mix.
fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// The stream of path `path` under `seed`.
pub fn path_rng(seed: u64, path: u64) -> Xoshiro256PlusPlus {
    Xoshiro256PlusPlus::seed_from_u64(splitmix64(seed ^ splitmix64(path)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn streams_are_keyed_by_seed_and_path() {
        assert_eq!(path_rng(7, 3).next_u64(), path_rng(7, 3).next_u64());
        assert_ne!(path_rng(7, 3).next_u64(), path_rng(7, 4).next_u64());
        assert_ne!(path_rng(7, 3).next_u64(), path_rng(8, 3).next_u64());
    }
}
