# hostapi
