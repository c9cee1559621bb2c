from setuptools import find_packages, setup

with open("requirements.txt", encoding="utf-8") as f:
    requirements = [line.strip() for line in f if line.strip() and not line.startswith("#")]

setup(
    name="ppocr-toolkit",
    version="0.1.0",
    description="Config-driven OCR training toolkit on PaddlePaddle: detection, CTC recognition, KIE, VGSL line models",
    packages=find_packages(include=["ppocr", "ppocr.*", "ppstructure", "ppstructure.*"]),
    package_data={"ppocr": ["utils/dict/*.txt"]},
    python_requires=">=3.9",
    install_requires=requirements,
    extras_require={
        "test": ["pytest>=7,<10"],
        # Key information extraction (LayoutXLM). paddlenlp 2.8.1 imports on Paddle 3.3 only with these pins;
        # install it in its own step: pip install -e ".[kie]"
        "kie": ["paddlenlp==2.8.1", "huggingface_hub==0.23.4", "aistudio-sdk==0.2.1", "datasets<3"],
    },
)
