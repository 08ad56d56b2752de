// Package lib is not a main package: envelope must refuse to build it.
package lib

// Answer is here so the package has something in it.
const Answer = 42
