// Package htmlnode reads parsed HTML nodes for the tests of the HTML report
// (the report's own tests and the headless-browser test). Only tests import
// it, so the binary does not link it.
package htmlnode

import (
	"strings"

	"golang.org/x/net/html"
)

// Attr returns the value of n's attribute key and whether n has it.
func Attr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

// Text returns the text of n and of everything below it, in document
// order.
func Text(n *html.Node) string {
	var b strings.Builder
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}
