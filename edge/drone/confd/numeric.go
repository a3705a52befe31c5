package confd

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// Arithmetic and comparisons as AppCenter's confd (yunify/confd v0.13.x) has them: metadata
// values are strings, so "add (getv "/env/port") 1" must work. A string argument is read as a
// number: with a "." as a float64, else as a base-10 int64. Integers of any width (unsigned
// too) are int64, floats float64. The result is a float64 when either side is a float, else an
// int64; text/template prints float64(5) as "5" and float64(1.5) as "1.5", as confd does.

// ErrNotNumber is an argument that arithmetic cannot read as a number.
var ErrNotNumber = errors.New("confd: not a number")

// number is one arithmetic operand.
type number struct {
	i       int64
	f       float64
	isFloat bool
}

func (n number) float() float64 {
	if n.isFloat {
		return n.f
	}
	return float64(n.i)
}

// toNumber reads x as AppCenter's confd does: numeric kinds as they are, strings parsed.
func toNumber(x any) (number, error) {
	v := reflect.ValueOf(x)
	switch v.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return number{i: v.Int()}, nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return number{i: int64(v.Uint())}, nil
	case reflect.Float32, reflect.Float64:
		return number{f: v.Float(), isFloat: true}, nil
	case reflect.String:
		return parseNumber(v.String())
	}
	return number{}, fmt.Errorf("%w: %v (%T)", ErrNotNumber, x, x)
}

func parseNumber(s string) (number, error) {
	if strings.Contains(s, ".") {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return number{}, fmt.Errorf("%w: %q", ErrNotNumber, s)
		}
		return number{f: f, isFloat: true}, nil
	}
	i, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return number{}, fmt.Errorf("%w: %q", ErrNotNumber, s)
	}
	return number{i: i}, nil
}

// arith applies op (+ - * /) to a and b; division by zero is an error.
func arith(name string, op byte, a, b any) (any, error) {
	x, err := toNumber(a)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	y, err := toNumber(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if x.isFloat || y.isFloat {
		fx, fy := x.float(), y.float()
		switch op {
		case '+':
			return fx + fy, nil
		case '-':
			return fx - fy, nil
		case '*':
			return fx * fy, nil
		}
		if fy == 0 {
			return nil, fmt.Errorf("%s: division by zero", name)
		}
		return fx / fy, nil
	}
	switch op {
	case '+':
		return x.i + y.i, nil
	case '-':
		return x.i - y.i, nil
	case '*':
		return x.i * y.i, nil
	}
	if y.i == 0 {
		return nil, fmt.Errorf("%s: division by zero", name)
	}
	return x.i / y.i, nil
}

// mod is a % b of two integers (numeric strings without a "."); floats are an error.
func mod(a, b any) (int64, error) {
	x, err := toNumber(a)
	if err != nil {
		return 0, fmt.Errorf("mod: %w", err)
	}
	y, err := toNumber(b)
	if err != nil {
		return 0, fmt.Errorf("mod: %w", err)
	}
	if x.isFloat || y.isFloat {
		return 0, fmt.Errorf("mod: %v and %v: only integers have a remainder", a, b)
	}
	if y.i == 0 {
		return 0, errors.New("mod: division by zero")
	}
	return x.i % y.i, nil
}

// extreme is the larger (max) or smaller of a and b as a float64, as AppCenter's confd returns.
func extreme(name string, a, b any) (float64, error) {
	x, err := toNumber(a)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", name, err)
	}
	y, err := toNumber(b)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", name, err)
	}
	if name == "max" {
		return math.Max(x.float(), y.float()), nil
	}
	return math.Min(x.float(), y.float()), nil
}

// normalize is a value as eq compares it: anything that reads as a number is its float64.
func normalize(x any) any {
	if n, err := toNumber(x); err == nil {
		return n.float()
	}
	return x
}

// eq reports whether x equals any of ys, numbers compared by value whatever their type or
// spelling ("5" == 5 == 5.0 == "5.0"), anything else deeply.
func eq(x any, ys ...any) (bool, error) {
	if len(ys) == 0 {
		return false, errors.New("eq: missing argument for comparison")
	}
	nx := normalize(x)
	for _, y := range ys {
		if reflect.DeepEqual(nx, normalize(y)) {
			return true, nil
		}
	}
	return false, nil
}

func ne(x, y any) bool {
	ok, _ := eq(x, y)
	return !ok
}

// ordered is a value as gt, ge, lt and le see it: a number, or a string that is not one.
type ordered struct {
	f     float64
	s     string
	isStr bool
}

// toOrdered reads x for ordering as AppCenter's confd does: lists and maps by length, numbers
// and numeric strings by value, times by Unix seconds, other strings as text, anything else 0.
func toOrdered(x any) ordered {
	v := reflect.ValueOf(x)
	switch v.Kind() {
	case reflect.Array, reflect.Chan, reflect.Map, reflect.Slice:
		return ordered{f: float64(v.Len())}
	case reflect.String:
		if f, err := strconv.ParseFloat(v.String(), 64); err == nil {
			return ordered{f: f}
		}
		return ordered{s: v.String(), isStr: true}
	case reflect.Struct:
		if t, ok := x.(time.Time); ok {
			return ordered{f: float64(t.Unix())}
		}
		return ordered{}
	}
	if n, err := toNumber(x); err == nil {
		return ordered{f: n.float()}
	}
	return ordered{}
}

// compare orders a and b: -1, 0 or 1. Two non-numeric strings compare as text; a non-numeric
// string against a number counts as 0.
func compare(a, b any) int {
	x, y := toOrdered(a), toOrdered(b)
	if x.isStr && y.isStr {
		return strings.Compare(x.s, y.s)
	}
	switch {
	case x.f < y.f:
		return -1
	case x.f > y.f:
		return 1
	}
	return 0
}
