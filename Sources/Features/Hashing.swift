import ArenaData

// The fixed hash behind hashed features: 64-bit FNV-1a over UTF-8 bytes
// (http://www.isthe.com/chongo/tech/comp/fnv/), finished with MurmurHash3's 64-bit finaliser
// (fmix64, https://github.com/aappleby/smhasher/blob/master/src/MurmurHash3.cpp) so that every
// bit of the result depends on every byte, then mapped to a bucket with Lemire's multiply-shift
// reduction (https://lemire.me/blog/2016/06/27/a-fast-alternative-to-the-modulo-reduction/).
// No seed and no platform-dependent step: a saved model gives the same buckets everywhere.
// tools/make_feature_fixtures.py computes the same function in Python for the tests.

/// MurmurHash3's fmix64.
@inline(__always)
func finalMix(_ value: UInt64) -> UInt64 {
    var mixed = value
    mixed ^= mixed >> 33
    mixed &*= 0xFF51_AFD7_ED55_8CCD
    mixed ^= mixed >> 33
    mixed &*= 0xC4CE_B93F_E53B_6E33
    mixed ^= mixed >> 33
    return mixed
}

/// The bucket in `0..<bucketCount` of an FNV-1a hash; `bucketCount` must be at most 2^32.
@inline(__always)
func bucket(ofHash hash: UInt64, bucketCount: Int) -> Int {
    Int(truncatingIfNeeded: ((finalMix(hash) >> 32) &* UInt64(truncatingIfNeeded: bucketCount)) >> 32)
}
