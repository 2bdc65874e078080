//! Reconstruction front end: capture sources, calibration, visual SLAM,
//! dense depth, fusion, alignment. OpenCV, behind the `video` feature.
