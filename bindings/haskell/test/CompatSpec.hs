{-# OPTIONS_GHC -Wno-unused-top-binds #-}
{-# LANGUAGE OverloadedStrings #-}
-- | The hs-mesos API surface, checked by the type checker: every binding
-- below carries the signature hs-mesos documents, so this module does not
-- compile if a name, an argument order or a type drifts. The runtime part
-- builds values the way hs-mesos programs do (positional constructors).
module CompatSpec (spec) where

import           Data.ByteString        (ByteString)
import           System.Mesos.Scheduler
import           System.Mesos.Types     hiding (requestResources)
import qualified System.Mesos.Types     as T
import           Test.Hspec

-- ToScheduler methods.
registered' :: ToScheduler a => a -> SchedulerDriver -> FrameworkID -> MasterInfo -> IO ()
registered' = registered
reRegistered' :: ToScheduler a => a -> SchedulerDriver -> MasterInfo -> IO ()
reRegistered' = reRegistered
disconnected' :: ToScheduler a => a -> SchedulerDriver -> IO ()
disconnected' = disconnected
resourceOffers' :: ToScheduler a => a -> SchedulerDriver -> [Offer] -> IO ()
resourceOffers' = resourceOffers
offerRescinded' :: ToScheduler a => a -> SchedulerDriver -> OfferID -> IO ()
offerRescinded' = offerRescinded
statusUpdate' :: ToScheduler a => a -> SchedulerDriver -> TaskStatus -> IO ()
statusUpdate' = statusUpdate
frameworkMessage' :: ToScheduler a => a -> SchedulerDriver -> ExecutorID -> SlaveID -> ByteString -> IO ()
frameworkMessage' = frameworkMessage
slaveLost' :: ToScheduler a => a -> SchedulerDriver -> SlaveID -> IO ()
slaveLost' = slaveLost
executorLost' :: ToScheduler a => a -> SchedulerDriver -> ExecutorID -> SlaveID -> Status -> IO ()
executorLost' = executorLost
errorMessage' :: ToScheduler a => a -> SchedulerDriver -> ByteString -> IO ()
errorMessage' = errorMessage

-- Driver functions.
withSchedulerDriver' :: ToScheduler a => a -> FrameworkInfo -> ByteString -> Maybe Credential
                     -> (SchedulerDriver -> IO b) -> IO b
withSchedulerDriver' = withSchedulerDriver
lifecycle :: [SchedulerDriver -> IO Status]
lifecycle = [start, abort, await, run, reviveOffers, flip stop True]
requestResources' :: SchedulerDriver -> [Request] -> IO Status
requestResources' = requestResources
launchTasks' :: SchedulerDriver -> [OfferID] -> [TaskInfo] -> Filters -> IO Status
launchTasks' = launchTasks
killTask' :: SchedulerDriver -> TaskID -> IO Status
killTask' = killTask
declineOffer' :: SchedulerDriver -> OfferID -> Filters -> IO Status
declineOffer' = declineOffer
sendFrameworkMessage' :: SchedulerDriver -> ExecutorID -> SlaveID -> ByteString -> IO Status
sendFrameworkMessage' = sendFrameworkMessage
reconcileTasks' :: SchedulerDriver -> [TaskStatus] -> IO Status
reconcileTasks' = reconcileTasks
createDriver' :: Scheduler -> FrameworkInfo -> ByteString -> Maybe Credential -> IO SchedulerDriver
createDriver' = createDriver
createScheduler' :: ToScheduler a => a -> IO Scheduler
createScheduler' = createScheduler
lowLevel :: (Scheduler -> IO (), SchedulerDriver -> IO ())
lowLevel = (destroyScheduler, destroyDriver)

-- A task built as hs-mesos's own test framework builds one.
hsMesosStyleTask :: Offer -> TaskInfo
hsMesosStyleTask offer =
  taskInfo "Task foo" (TaskID "foo") (offerSlaveId offer) [resource "cpus" (Scalar 1), resource "mem" (Scalar 32)]
    (TaskExecutor (executorInfo (ExecutorID "default") (offerFrameworkId offer)
                     (T.commandInfo (ShellCommand "/bin/executor")) []))

spec :: Spec
spec = describe "hs-mesos compatibility" $ do
  it "the hs-mesos API surface type-checks (see the signatures in test/CompatSpec.hs)" $
    length lifecycle `shouldBe` 6
  it "positional constructors and record fields of hs-mesos" $ do
    let offer = Offer (OfferID "o") (FrameworkID "f") (SlaveID "s") "host" [] [] []
        task = hsMesosStyleTask offer
        status = TaskStatus (TaskID "foo") Lost Nothing Nothing Nothing Nothing Nothing Nothing Nothing Nothing Nothing
        info = (frameworkInfo "" "Test Framework (Haskell)") { frameworkInfoRole = Just "*" }
    taskInfoSlaveId task `shouldBe` SlaveID "s"
    isTerminal (taskStatusState status) `shouldBe` True
    frameworkInfoRole info `shouldBe` Just "*"
    T.requestResources (Request Nothing [resource "mem" (Scalar 1)]) `shouldBe` [resource "mem" (Scalar 1)]
    [NotStarted, Running, Aborted, Stopped] `shouldBe` map toEnum [1, 2, 3, 4]
    fmap (taskInfoName :: TaskInfo -> ByteString) (decodeMessage (encodeMessage task)) `shouldBe` Right "Task foo"
    let queue = TrafficControlStatistics "q" (Just 1) Nothing Nothing Nothing Nothing Nothing Nothing Nothing Nothing
        executor = ResourceUsageExecutor (executorInfo "e" "f" (T.commandInfo (ShellCommand "x")) []) [] Nothing
    decodeMessage (encodeMessage (ResourceUsage [executor])) `shouldBe` Right (ResourceUsage [executor])
    trafficControlStatisticsBacklog queue `shouldBe` Just 1
