{-# LANGUAGE OverloadedStrings #-}
{-# LANGUAGE ScopedTypeVariables #-}
-- | Bytes produced by the Rust side (prost, fixtures-gen/) decode to the
-- expected records, skipping the fields the records do not model.
module InteropSpec (spec) where

import qualified Data.ByteString    as BS
import           System.FilePath    ((</>))
import           System.Mesos.Types
import           Test.Hspec

fixture :: Message a => FilePath -> IO a
fixture name = do
  bytes <- BS.readFile ("test" </> "fixtures" </> name)
  either (\err -> expectationFailure (name ++ ": " ++ err) >> error "unreachable") return (decodeMessage bytes)

-- The record decodes; re-encoding it and decoding again gives it back.
decodesTo :: (Message a, Show a, Eq a) => FilePath -> a -> Expectation
decodesTo name expected = do
  actual <- fixture name
  actual `shouldBe` expected
  decodeMessage (encodeMessage actual) `shouldBe` Right expected

scalarStar :: BS.ByteString -> Double -> Resource
scalarStar name v = (resource name (Scalar v)) { resourceRole = Just "*" }

spec :: Spec
spec = describe "bytes encoded by the Rust side (test/fixtures)" $ do
  it "Offer with ranges, sets, attributes and unmodelled url/unavailability/allocation_info" $
    "offer.bin" `decodesTo`
      Offer "offer-1" "fw-1" "agent-1" "host-a"
        [ scalarStar "cpus" 2.5
        , scalarStar "mem" 1024
        , resource "ports" (Ranges [(31000, 32000), (33000, 33005)])
        , (resource "disks" (Set ["sda", "sdb"])) { resourceReservationInfoPrincipal = Just "ops" } ]
        [("rack", Text "r1"), ("level", Scalar 3)]
        ["exec-1"]

  it "TaskStatus with every modelled field, a state after TASK_LOST and unmodelled labels" $
    "task_status.bin" `decodesTo`
      TaskStatus "task-7" GoneByOperator (Just "agent marked gone") (Just SourceSlave)
        (Just ReasonMaxCompletionTimeReached) (Just (BS.pack [0, 1, 2, 255])) (Just "agent-1")
        (Just "exec-1") (Just 1700000000.25) (Just (BS.pack [0 .. 15])) (Just True)

  it "TaskStatus with state, source and reason numbers nobody knows" $
    "task_status_unknown_enums.bin" `decodesTo`
      TaskStatus "task-8" (UnknownTaskState 99) Nothing (Just (UnknownSource 7)) (Just (UnknownReason 1000))
        Nothing Nothing Nothing Nothing Nothing Nothing

  it "MasterInfo with unmodelled address and capabilities" $
    "master_info.bin" `decodesTo`
      MasterInfo "master-uuid" 16777343 (Just 5050) (Just "master@127.0.0.1:5050") (Just "localhost") (Just "1.12.0")

  it "FrameworkInfo with unmodelled roles, webui_url and capabilities" $
    "framework_info.bin" `decodesTo`
      FrameworkInfo "alice" "haskell-fixture" (Just "fw-1") (Just 3600) (Just True) (Just "batch")
        (Just "host-a") (Just "alice-principal")

  it "TaskInfo with a raw command, URIs, environment, labels and unmodelled kill_policy" $
    "task_info.bin" `decodesTo`
      (taskInfo "sleeper" "task-1" "agent-1" [scalarStar "cpus" 0.5]
        (TaskCommand (CommandInfo [CommandURI "http://example.invalid/a.tgz" (Just False) (Just True) (Just True)]
                                  (Just [("GREETING", "hello")])
                                  (RawCommand "/bin/sleep" ["sleep", "1"])
                                  (Just "bob"))))
        { taskInfoData_ = Just "payload", taskInfoLabels = [("team", Just "infra"), ("flag", Nothing)] }

  it "TaskInfo with environment, a MESOS container, a COMMAND health check, labels and discovery: prost's bytes" $ do
    bytes <- BS.readFile ("test" </> "fixtures" </> "task_info_full.bin")
    encodeMessage fullTask `shouldBe` bytes
    decodeMessage bytes `shouldBe` Right fullTask

  it "TaskInfo with container type, volume mode, check type and visibility numbers nobody knows" $ do
    let odd' = (taskInfo "odd" "odd-1" "agent-1" [] (TaskCommand (commandInfo (ShellCommand "true"))))
          { taskInfoContainer = Just (ContainerInfo (Unknown 77) [Volume "/x" Nothing (UnknownMode 9)])
          , taskInfoHealthCheck = Just (HealthCheck (UnknownCheck 42) Nothing Nothing Nothing Nothing Nothing)
          , taskInfoDiscovery = Just (DiscoveryInfo (UnknownVisibility 5) Nothing Nothing Nothing Nothing [] []) }
    "task_info_unknown_enums.bin" `decodesTo` odd'
    bytes <- BS.readFile ("test" </> "fixtures" </> "task_info_unknown_enums.bin")
    encodeMessage odd' `shouldBe` bytes
  where
    fullTask =
      (taskInfo "web" "web-1" "agent-1" [resource "cpus" (Scalar 0.5), resource "mem" (Scalar 64)]
        (TaskCommand (CommandInfo [CommandURI "http://example.invalid/app.tgz" Nothing (Just True) Nothing]
                                  (Just [("PORT", "8080"), ("MODE", "test")])
                                  (ShellCommand "python3 -m http.server $PORT")
                                  (Just "app"))))
        { taskInfoContainer = Just (ContainerInfo MesosContainer [Volume "/data" (Just "/srv/data") ReadOnly])
        , taskInfoHealthCheck = Just (HealthCheck (CommandCheck (commandInfo (ShellCommand "curl -f localhost:8080")))
                                        (Just 5) (Just 10) (Just 2) (Just 3) (Just 30))
        , taskInfoLabels = [("team", Just "infra"), ("flag", Nothing)]
        , taskInfoDiscovery = Just (DiscoveryInfo VisibilityCluster (Just "web") (Just "test") Nothing (Just "1.0")
                                      [Port 8080 (Just "http") (Just "tcp")] [("tier", Just "frontend")]) }
