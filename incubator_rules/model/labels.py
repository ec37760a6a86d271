"""How levels, carrier kinds and grades are called in Chinese and English explanations."""

from __future__ import annotations

from .carrier import CarrierKind, Grade, Level

__all__ = ["GRADE_ZH", "KIND_EN", "KIND_ZH", "LEVEL_ZH"]

LEVEL_ZH = {Level.NATIONAL: "国家级", Level.MUNICIPAL: "市级", Level.DISTRICT: "区级"}
KIND_ZH = {
    CarrierKind.MAKER_SPACE: "众创空间",
    CarrierKind.STAR_INNOVATION_SPACE: "星创天地",
    CarrierKind.INCUBATOR: "科技企业孵化器",
    CarrierKind.UNIVERSITY_SCIENCE_PARK: "大学科技园",
    CarrierKind.LARGE_INCUBATION_PARK: "大型科技企业孵化园",
    CarrierKind.LARGE_INNOVATION_COMMUNITY: "大型创新创业孵化社区",
    CarrierKind.UNIVERSITY_INNOVATION_ECOSYSTEM: "环大学创新生态圈",
}
KIND_EN = {
    CarrierKind.MAKER_SPACE: "maker space",
    CarrierKind.STAR_INNOVATION_SPACE: "Star Innovation Space",
    CarrierKind.INCUBATOR: "technology business incubator",
    CarrierKind.UNIVERSITY_SCIENCE_PARK: "university science park",
    CarrierKind.LARGE_INCUBATION_PARK: "large tech-business incubation park",
    CarrierKind.LARGE_INNOVATION_COMMUNITY: "large innovation and entrepreneurship community",
    CarrierKind.UNIVERSITY_INNOVATION_ECOSYSTEM: "university-centred innovation ecosystem",
}
GRADE_ZH = {Grade.EXCELLENT: "优秀", Grade.GOOD: "良好", Grade.PASS: "合格", Grade.FAIL: "不合格"}
