package dataset

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"testing"
)

// BenchmarkDecode measures one photo of PetImages' typical size through
// the whole pipeline: header check, decode, grayscale or RGB, resize to
// 100x100.
//
// "jpeg-turned" is the JPEG stored sideways with EXIF orientation 6, as a
// phone held upright stores it, which adds the turn.
func BenchmarkDecode(b *testing.B) {
	img := noisy(500, 375, 7)
	for _, format := range []string{"jpeg", "jpeg-turned", "png"} {
		for _, crop := range []bool{false, true} {
			for _, channels := range []int{Grayscale, RGB} {
				b.Run(fmt.Sprintf("%s/500x375/crop=%t/channels=%d", format, crop, channels), func(b *testing.B) {
					var data []byte
					if format == "jpeg-turned" {
						data = exifJPEG(b, img, binary.BigEndian, 6)
					} else {
						data = encode(b, format, img)
					}
					opt := Options{Crop: crop, Channels: channels}
					for b.Loop() {
						if _, err := Decode(bytes.NewReader(data), opt); err != nil {
							b.Fatal(err)
						}
					}
					b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "images/s")
				})
			}
		}
	}
}

// BenchmarkLoadFolder measures LoadFolder on 40 JPEGs, decoding and from
// the cache.
func BenchmarkLoadFolder(b *testing.B) {
	dir := b.TempDir()
	for i := range 40 {
		writeFile(b, dir, fmt.Sprintf("%s.%d.jpg", ClassNames[i%2], i), encode(b, "jpeg", noisy(500, 375, uint64(i))))
	}
	for _, cached := range []bool{false, true} {
		b.Run(fmt.Sprintf("jpeg/n=40/cached=%t", cached), func(b *testing.B) {
			opt := Options{}
			if cached {
				opt.CacheDir = b.TempDir()
				if _, _, err := LoadFolder(dir, opt); err != nil {
					b.Fatal(err)
				}
			}
			for b.Loop() {
				if _, _, err := LoadFolder(dir, opt); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(40*float64(b.N)/b.Elapsed().Seconds(), "images/s")
		})
	}
}
