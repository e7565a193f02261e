"""``pose-ros eval``: COCO keypoint evaluation (pycocotools) of any model and options."""
