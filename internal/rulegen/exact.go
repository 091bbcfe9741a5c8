package rulegen

import (
	"fmt"
	"math/big"
	"strconv"
)

// Thresholds and test values are kept as exact rationals and written as the
// shortest exact decimal, so a rule's literal (> 0.85) and a test's input
// sample (0.85) parse to the same float64: "at the threshold" really is at it.

// rat converts a threshold read from the file to an exact rational of its
// shortest decimal form (92.5 stays 185/2; 0.1 becomes 1/10, not the binary
// approximation).
func rat(f float64) *big.Rat {
	r, ok := new(big.Rat).SetString(strconv.FormatFloat(f, 'g', -1, 64))
	if !ok {
		panic(fmt.Sprintf("rulegen: %v has no decimal form", f)) // unreachable for finite floats
	}
	return r
}

func ratInt(n int64) *big.Rat { return new(big.Rat).SetInt64(n) }

func mul(a, b *big.Rat) *big.Rat { return new(big.Rat).Mul(a, b) }
func quo(a, b *big.Rat) *big.Rat { return new(big.Rat).Quo(a, b) }
func add(a, b *big.Rat) *big.Rat { return new(big.Rat).Add(a, b) }
func sub(a, b *big.Rat) *big.Rat { return new(big.Rat).Sub(a, b) }

func mid(a, b *big.Rat) *big.Rat { return quo(add(a, b), ratInt(2)) }

// decimal writes r as the shortest exact decimal. Every value the generator
// makes is a file decimal scaled by 2, 100 or 86400, so its denominator has
// the form 2^a·5^b and the expansion is finite (max(a, b) digits).
func decimal(r *big.Rat) string {
	d := new(big.Int).Set(r.Denom())
	prec := 0
	for _, f := range []int64{10, 2, 5} {
		div := big.NewInt(f)
		m := new(big.Int)
		for {
			q, rem := new(big.Int).QuoRem(d, div, m)
			if rem.Sign() != 0 {
				break
			}
			d, prec = q, prec+1
		}
	}
	if d.Cmp(big.NewInt(1)) != 0 {
		panic(fmt.Sprintf("rulegen: %s has no finite decimal form", r.RatString())) // unreachable, see above
	}
	return r.FloatString(prec)
}

func float(r *big.Rat) float64 {
	f, _ := r.Float64()
	return f
}
