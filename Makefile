.PHONY: run test check setup
run:   ; scripts/run
test:  ; scripts/test
check: ; scripts/check
setup: ; scripts/setup
