{-# LANGUAGE OverloadedStrings #-}
{-# LANGUAGE ScopedTypeVariables #-}
-- | Shutdown while a callback runs: 'await' and 'destroyDriver' wait for it,
-- its driver calls get the stopped status, nothing runs afterwards; the
-- library's own message in 'DriverError'; the scheduler's driver registry.
module ShutdownSpec (spec) where

import           Control.Concurrent      (forkIO, threadDelay)
import           Control.Concurrent.MVar
import           Control.Concurrent.STM
import           Control.Exception
import           Control.Monad           (forM, forM_, replicateM, unless, void)
import qualified Data.ByteString.Char8   as BC
import           Data.List               (isInfixOf)
import           MesosLocal              (withMesosLocal)
import           System.Mesos.Scheduler
import           System.Mesos.Types      hiding (requestResources)
import           System.Timeout          (timeout)
import           Test.Hspec

-- | Its registered callback says it entered, waits for the test to release
-- it, then calls the driver and hands over what the call gave.
data Blocking = Blocking
  { blockingEntered :: MVar ()
  , blockingRelease :: MVar ()
  , blockingResult  :: MVar (Either DriverError Status)
  }

instance ToScheduler Blocking where
  registered b driver _ _ = do
    putMVar (blockingEntered b) ()
    takeMVar (blockingRelease b)
    try (reviveOffers driver) >>= putMVar (blockingResult b)

newBlocking :: IO Blocking
newBlocking = Blocking <$> newEmptyMVar <*> newEmptyMVar <*> newEmptyMVar

-- | At most this many seconds, else the test fails.
within :: Int -> String -> IO a -> IO a
within seconds what action =
  timeout (seconds * 1000000) action >>= maybe (throwIO (userError ("timed out: " ++ what))) return

-- | Still empty after a while (the other side is waiting as it should).
staysEmpty :: MVar a -> IO Bool
staysEmpty var = threadDelay 300000 >> isEmptyMVar var

-- | Counts callbacks running, started after the driver's bracket was left,
-- and driver calls from callbacks that did not give a status.
data Counting = Counting
  { countingRunning    :: TVar Int
  , countingRegistered :: TVar Bool
  , countingLeft       :: TVar Bool
  , countingLate       :: TVar Int
  , countingFailures   :: TVar [String]
  }

instance ToScheduler Counting where
  registered c driver _ _ = counted c $ do
    atomically (writeTVar (countingRegistered c) True)
    void (reviveOffers driver)
  resourceOffers c driver offers = counted c $
    forM_ offers $ \o -> declineOffer driver (offerId' o) filters
  statusUpdate c driver _ = counted c (void (reconcileTasks driver []))

counted :: Counting -> IO () -> IO ()
counted c body = do
  atomically $ do
    modifyTVar' (countingRunning c) (+ 1)
    left <- readTVar (countingLeft c)
    if left then modifyTVar' (countingLate c) (+ 1) else return ()
  -- Long enough for a stop to overlap the callback now and then.
  threadDelay 2000
  body `catch` \(e :: SomeException) -> atomically (modifyTVar' (countingFailures c) (show e :))
  atomically (modifyTVar' (countingRunning c) (subtract 1))

spec :: Spec
spec = do
  describe "a callback running at shutdown" $ do
    it "await returns only after it returned, and its call gets the stopped status" $
      withMesosLocal [] $ \master -> do
        b <- newBlocking
        flip finally (tryPutMVar (blockingRelease b) ()) $ do
          stopped <- newEmptyMVar
          awaited <- newEmptyMVar
          left <- newEmptyMVar
          void $ forkIO $ do
            outcome <- try $ withSchedulerDriver b (frameworkInfo "" "haskell-shutdown-await") (BC.pack master) Nothing $
              \driver -> do
                void (start driver)
                takeMVar (blockingEntered b)
                stop driver False >>= putMVar stopped
                await driver >>= putMVar awaited
            putMVar left (outcome :: Either SomeException ())
          within 30 "registered, then stop" (takeMVar stopped) `shouldReturn` Stopped
          waitingForCallback <- staysEmpty awaited
          waitingForCallback `shouldBe` True
          putMVar (blockingRelease b) ()
          within 10 "the callback's call" (takeMVar (blockingResult b)) `shouldReturn` Right Stopped
          within 10 "await" (takeMVar awaited) `shouldReturn` Stopped
          within 10 "leaving the bracket" (takeMVar left) >>= either throwIO return

    it "leaving the bracket waits for it, and its call gets the stopped status" $
      withMesosLocal [] $ \master -> do
        b <- newBlocking
        flip finally (tryPutMVar (blockingRelease b) ()) $ do
          leaving <- newEmptyMVar
          left <- newEmptyMVar
          void $ forkIO $ do
            outcome <- try $ withSchedulerDriver b (frameworkInfo "" "haskell-shutdown-destroy") (BC.pack master) Nothing $
              \driver -> void (start driver) >> takeMVar (blockingEntered b) >> putMVar leaving driver
            putMVar left (outcome :: Either SomeException ())
          driver <- within 30 "registered" (takeMVar leaving)
          -- A second destroyDriver, from another thread, waits as well.
          destroyedToo <- newEmptyMVar
          void $ forkIO $ try (destroyDriver driver) >>= putMVar destroyedToo
          waitingForCallback <- staysEmpty left
          waitingForCallback `shouldBe` True
          isEmptyMVar destroyedToo `shouldReturn` True
          putMVar (blockingRelease b) ()
          within 10 "the callback's call" (takeMVar (blockingResult b)) `shouldReturn` Right Stopped
          within 10 "leaving the bracket" (takeMVar left) >>= either throwIO return
          within 10 "the second destroyDriver" (takeMVar destroyedToo) >>= either (throwIO :: SomeException -> IO ()) return

    it "300 start, registered, stop, await, destroy cycles: no failed call, no callback after await" $
      withMesosLocal [] $ \master -> do
        c <- Counting <$> newTVarIO 0 <*> newTVarIO False <*> newTVarIO False <*> newTVarIO 0 <*> newTVarIO []
        runningAfterAwait <- within 50 "the cycles" $ forM [1 .. 300 :: Int] $ \_ -> do
          atomically $ writeTVar (countingRegistered c) False >> writeTVar (countingLeft c) False
          running <- withSchedulerDriver c (frameworkInfo "" "haskell-shutdown-cycle") (BC.pack master) Nothing $
            \driver -> do
              void (start driver)
              within 10 "registered" $ atomically (readTVar (countingRegistered c) >>= \r -> unless r retry)
              void (stop driver False)
              status <- await driver
              unless (status == Stopped) $ throwIO (userError ("await gave " ++ show status))
              readTVarIO (countingRunning c)
          atomically (writeTVar (countingLeft c) True)
          return running
        threadDelay 100000
        filter (/= 0) runningAfterAwait `shouldBe` []
        readTVarIO (countingLate c) `shouldReturn` 0
        readTVarIO (countingFailures c) `shouldReturn` []

  describe "creating a driver" $ do
    let refused master = do
          b <- newBlocking
          outcome <- try (withSchedulerDriver b (frameworkInfo "" "haskell-bad-master") master Nothing
                            (const (return ())))
          case outcome of
            Left (e :: DriverError) -> return e
            Right () -> throwIO (userError ("accepted the master " ++ show master))
    it "reports the library's message for an unsupported scheme and a bad port" $ do
      e1 <- refused "garbage://x"
      driverErrorCode e1 `shouldBe` InvalidArgument
      driverErrorMessage e1 `shouldSatisfy` ("unsupported scheme" `isInfixOf`)
      e2 <- refused "host:notaport"
      driverErrorCode e2 `shouldBe` InvalidArgument
      driverErrorMessage e2 `shouldSatisfy` ("invalid port 'notaport'" `isInfixOf`)

    it "reports it from unbound threads too (read on the failing call's OS thread)" $ do
      results <- replicateM 8 newEmptyMVar
      forM_ (zip [0 :: Int ..] results) $ \(i, result) -> forkIO $ do
        messages <- try $ forM [1 .. 25 :: Int] $ \_ -> driverErrorMessage <$>
          refused (if even i then "garbage://x" else "host:notaport")
        putMVar result (i, messages)
      forM_ results $ \result -> do
        (i, messages) <- within 30 "the threads" (takeMVar result)
        let expected = if even i then "unsupported scheme" else "invalid port 'notaport'"
        case messages of
          Left (e :: SomeException) -> expectationFailure (show e)
          Right ms -> filter (not . (expected `isInfixOf`)) ms `shouldBe` []

  describe "a shared Scheduler" $
    it "forgets every destroyed driver" $ do
      b <- newBlocking
      bracket (createScheduler b) destroyScheduler $ \scheduler -> do
        let create = createDriver scheduler (frameworkInfo "" "haskell-registry") "127.0.0.1:1" Nothing
        forM_ [1 .. 200 :: Int] $ \_ -> do
          driver <- create
          schedulerDriverCount scheduler `shouldReturn` 1
          destroyDriver driver
          schedulerDriverCount scheduler `shouldReturn` 0
        drivers <- replicateM 50 create
        schedulerDriverCount scheduler `shouldReturn` 50
        mapM_ destroyDriver drivers
        mapM_ destroyDriver drivers -- idempotent: no double removal or free
        schedulerDriverCount scheduler `shouldReturn` 0
