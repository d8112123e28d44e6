package main

import (
	"fmt"
	"os"

	"gopkg.in/yaml.v3"

	"github.com/kubegrant/kubegrant/detect"
)

// loadDetectOptions reads the detections: section of the config file
// (thresholds, windows and allow-lists of the audit detections). A mistake
// in it is a usage error (exit 2) with its file and line.
func loadDetectOptions(cfg *scanConfig) (detect.DetectOptions, error) {
	path := configPath(cfg)
	if path == "" {
		return detect.DetectOptions{}, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return detect.DetectOptions{}, fmt.Errorf("reading config: %w", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return detect.DetectOptions{}, nil // reported by loadExceptions
	}
	root := doc.Content[0]
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "detections" {
			opts, err := detect.ParseOptions(path, root.Content[i+1])
			if err != nil {
				return opts, usageErrorf("config %v", err)
			}
			return opts, nil
		}
	}
	return detect.DetectOptions{}, nil
}
