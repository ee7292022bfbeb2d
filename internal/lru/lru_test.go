package lru

import (
	"fmt"
	"sync"
	"testing"
)

func TestEvictsLeastRecentlyUsedByCost(t *testing.T) {
	c := New[string, int](10)
	c.Add("a", 1, 4)
	c.Add("b", 2, 4)
	if v, ok := c.Get("a"); !ok || v != 1 {
		t.Fatalf("Get(a) = %d, %v", v, ok)
	}
	c.Add("c", 3, 4) // over budget: b is the least recently used
	if _, ok := c.Get("b"); ok {
		t.Error("b survived; it was the least recently used")
	}
	for _, k := range []string{"a", "c"} {
		if _, ok := c.Get(k); !ok {
			t.Errorf("%s was evicted", k)
		}
	}
	c.Add("huge", 4, 11)
	if _, ok := c.Get("huge"); ok || c.Len() != 2 {
		t.Errorf("a value over the whole budget was kept (len %d)", c.Len())
	}
	c.Add("a", 9, 1)
	if v, _ := c.Get("a"); v != 1 {
		t.Errorf("Add of a present key replaced it: %d", v)
	}
}

func TestConcurrentUse(t *testing.T) {
	c := New[int, string](100)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 1000 {
				k := (g*1000 + i) % 300
				if v, ok := c.Get(k); ok && v != fmt.Sprint(k) {
					t.Errorf("Get(%d) = %q", k, v)
				}
				c.Add(k, fmt.Sprint(k), 1)
			}
		})
	}
	wg.Wait()
	if c.Len() > 100 {
		t.Errorf("Len = %d, over the budget of 100", c.Len())
	}
}

func TestTakeRemoves(t *testing.T) {
	c := New[string, int](2)
	c.Add("a", 1, 1)
	c.Add("b", 2, 1)
	if v, ok := c.Take("a"); !ok || v != 1 {
		t.Fatalf("Take(a) = %d, %v; want 1, true", v, ok)
	}
	if _, ok := c.Take("a"); ok {
		t.Error("a second Take(a) found it again")
	}
	// Its cost is freed: two more fit beside b without evicting it.
	c.Add("c", 3, 1)
	if _, ok := c.Get("b"); !ok {
		t.Error("b was evicted: Take did not free a's cost")
	}
}
