-- | The mesos-sched test suite: codec, interop with Rust-encoded bytes, and
-- end to end against a mesos-local process.
module Main (main) where

import qualified CallbackSpec
import qualified CompatSpec
import qualified EndToEndSpec
import qualified InteropSpec
import qualified PollSpec
import qualified ShutdownSpec
import           Test.Hspec
import qualified TypesSpec
import qualified WireSpec

main :: IO ()
main = hspec $ do
  describe "wire codec" WireSpec.spec
  describe "System.Mesos.Types" TypesSpec.spec
  describe "interop" InteropSpec.spec
  CompatSpec.spec
  CallbackSpec.spec
  describe "end to end (mesos-local)" EndToEndSpec.spec
  describe "shutdown" ShutdownSpec.spec
  describe "callbacks on the binding's thread (poll mode)" PollSpec.spec
