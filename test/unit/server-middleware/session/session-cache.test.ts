import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  DEFAULT_SESSION_CACHE_ENTRIES,
  VerifiedSessionCache,
} from "../../../../server-middleware/session/session-cache.js";

describe("VerifiedSessionCache", () => {
  it("finds a remembered pair by its exact value and signature", () => {
    const cache = new VerifiedSessionCache<string>(4);
    cache.remember("value-1", "sig-1", "alice");
    assert.equal(cache.find("value-1", "sig-1"), "alice");
  });

  it("when the value matches but the signature differs, finds nothing", () => {
    const cache = new VerifiedSessionCache<string>(4);
    cache.remember("value-1", "sig-1", "alice");
    assert.equal(cache.find("value-1", "sig-2"), undefined);
    assert.equal(cache.find("value-1", ""), undefined);
    assert.equal(cache.find("value-1", "sig-1x"), undefined);
  });

  it("when the signature matches but the value differs, finds nothing", () => {
    const cache = new VerifiedSessionCache<string>(4);
    cache.remember("value-1", "sig-1", "alice");
    assert.equal(cache.find("value-2", "sig-1"), undefined);
  });

  it("keeps pairs apart that join to the same text", () => {
    const cache = new VerifiedSessionCache<string>(4);
    cache.remember("ab", "c", "alice");
    assert.equal(cache.find("a", "bc"), undefined);
    assert.equal(cache.find("abc", ""), undefined);
  });

  it("forgets a pair", () => {
    const cache = new VerifiedSessionCache<string>(4);
    cache.remember("value-1", "sig-1", "alice");
    cache.forget("value-1", "sig-1");
    assert.equal(cache.find("value-1", "sig-1"), undefined);
    assert.equal(cache.size, 0);
  });

  describe("the bound (maxEntries)", () => {
    it("never holds more than maxEntries, however many pairs are remembered", () => {
      const cache = new VerifiedSessionCache<number>(4);
      for (let i = 0; i < 1000; i++) {
        cache.remember(`value-${i}`, `sig-${i}`, i);
        assert.ok(cache.size <= 4, `size ${cache.size} after ${i + 1} pairs`);
      }
      assert.equal(cache.find("value-999", "sig-999"), 999, "the newest is kept");
      assert.equal(cache.find("value-0", "sig-0"), undefined, "the oldest is gone");
    });

    it("when full, lets the least recently used go before one that was just found", () => {
      const cache = new VerifiedSessionCache<string>(4);
      cache.remember("a", "1", "a");
      cache.remember("b", "1", "b");
      cache.remember("c", "1", "c");
      assert.equal(cache.find("a", "1"), "a");
      cache.remember("d", "1", "d");
      cache.remember("e", "1", "e");
      assert.equal(cache.find("b", "1"), undefined, "b was never used again");
      assert.equal(cache.find("a", "1"), "a", "a was used after b");
    });

    it("when a pair is found many times, holds it once", () => {
      const cache = new VerifiedSessionCache<string>(4);
      cache.remember("a", "1", "a");
      cache.remember("b", "1", "b");
      cache.remember("c", "1", "c");
      for (let i = 0; i < 10; i++) assert.equal(cache.find("a", "1"), "a");
      assert.equal(cache.size, 3);
    });

    it(`defaults to ${DEFAULT_SESSION_CACHE_ENTRIES} entries`, () => {
      const cache = new VerifiedSessionCache<number>();
      for (let i = 0; i < DEFAULT_SESSION_CACHE_ENTRIES * 3; i++) cache.remember(`value-${i}`, "sig", i);
      assert.ok(cache.size <= DEFAULT_SESSION_CACHE_ENTRIES, `size ${cache.size}`);
      assert.ok(cache.size >= DEFAULT_SESSION_CACHE_ENTRIES / 2, `size ${cache.size}`);
    });

    for (const bad of [0, 1, 3, 2.5, Number.NaN, Infinity]) {
      it(`when maxEntries is ${bad}, throws a TypeError naming it`, () => {
        assert.throws(() => new VerifiedSessionCache(bad), {
          name: "TypeError",
          message: `VerifiedSessionCache: maxEntries must be an even integer of at least 2 (got ${bad})`,
        });
      });
    }
  });
});
